using VirtTools.Host;

namespace VirtTools.Accelerators.Emulator;

/// <summary>The software CPU as an accelerator: always available, no host privileges needed.</summary>
public sealed class EmulatorAccelerator : IAccelerator
{
    /// <summary>
    /// Why Auto takes the emulator on a PVM host. Measured here (issue 6, x86-machine-facts.md): PVM
    /// runs guest CPL0 and real-mode code through the host kernel's instruction emulator at 1.7 to
    /// 2.1 M instructions/s and fails on instructions it lacks; this emulator runs tens of millions.
    /// </summary>
    public const string PreferredOverPvm =
        "chosen over KVM: this host's KVM is PVM, which emulates guest kernel and real-mode code in software at about 2 M instructions/s; the emulator is faster";

    public EmulatorAccelerator(string? reason = null)
    {
        Reason = reason;
    }

    /// <summary>Why this accelerator was picked, when Auto picked it for a reason.</summary>
    public string? Reason { get; }

    public AcceleratorKind Kind => AcceleratorKind.Emulator;

    public string Description => Reason is null
        ? "VirtTools x86 emulator (software CPU, decoded-block cache)"
        : $"VirtTools x86 emulator ({Reason})";

    public IVirtualMachine CreateVm(VmOptions options) => new EmulatorVm(options);

    public void Dispose()
    {
    }
}
