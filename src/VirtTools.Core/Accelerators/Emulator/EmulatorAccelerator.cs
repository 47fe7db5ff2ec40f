using VirtTools.Host;

namespace VirtTools.Accelerators.Emulator;

/// <summary>The software CPU as an accelerator: always available, no host privileges needed.</summary>
public sealed class EmulatorAccelerator : IAccelerator
{
    public AcceleratorKind Kind => AcceleratorKind.Emulator;

    public string Description => "VirtTools x86 emulator (software CPU, decoded-block cache)";

    public IVirtualMachine CreateVm(VmOptions options) => new EmulatorVm(options);

    public void Dispose()
    {
    }
}
