namespace VirtTools.Host;

/// <summary>Which kind of KVM backs /dev/kvm: guests behave very differently on each.</summary>
public enum KvmKind
{
    /// <summary>No KVM module is loaded.</summary>
    None,
    /// <summary>kvm_intel on VT-x: guest code runs on the CPU in every mode.</summary>
    HardwareVmx,
    /// <summary>kvm_amd on AMD-V: guest code runs on the CPU in every mode.</summary>
    HardwareSvm,
    /// <summary>
    /// kvm_pvm, software-assisted (no VT-x/AMD-V): guest CPL3 code runs natively, but real mode,
    /// protected mode and guest kernel code go through the host kernel's instruction emulator.
    /// </summary>
    Pvm,
    /// <summary>A KVM module we do not recognise.</summary>
    Unknown,
}
