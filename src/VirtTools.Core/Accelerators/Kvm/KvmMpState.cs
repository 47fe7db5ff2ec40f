namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// <c>struct kvm_mp_state</c> values (include/uapi/linux/kvm.h): where a vCPU is in the
/// INIT/SIPI life of an x86 processor, as the in-kernel LAPIC tracks it.
/// </summary>
internal enum KvmMpState : uint
{
    Runnable = 0,
    /// <summary>An AP after reset: waits for INIT.</summary>
    Uninitialized = 1,
    /// <summary>INIT seen: waits for a start-up IPI.</summary>
    InitReceived = 2,
    Halted = 3,
    SipiReceived = 4,
}
