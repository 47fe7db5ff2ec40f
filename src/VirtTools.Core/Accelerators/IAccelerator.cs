using VirtTools.Host;

namespace VirtTools.Accelerators;

/// <summary>
/// An engine that runs vCPUs: KVM, WHP, or the software emulator. Holds whatever host handle the engine
/// needs (the /dev/kvm fd) and creates VMs from it. Obtained from <see cref="AcceleratorFactory"/>.
/// </summary>
public interface IAccelerator : IDisposable
{
    AcceleratorKind Kind { get; }

    /// <summary>A short description for Get-VirtMachine, e.g. "KVM (kvm_pvm)".</summary>
    string Description { get; }

    IVirtualMachine CreateVm(VmOptions options);
}
