namespace VirtTools.Host;

/// <summary>The engines that can run a machine's vCPUs.</summary>
public enum AcceleratorKind
{
    /// <summary>Pick the best one available.</summary>
    Auto,
    /// <summary>Linux KVM through /dev/kvm.</summary>
    Kvm,
    /// <summary>Windows Hypervisor Platform.</summary>
    Whp,
    /// <summary>The software x86 emulator in VirtTools.Core: always available.</summary>
    Emulator,
}
