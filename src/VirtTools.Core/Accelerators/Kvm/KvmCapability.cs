namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// KVM_CHECK_EXTENSION numbers the machine layer cares about, from include/uapi/linux/kvm.h.
/// The tests compile a C probe against the host's header and compare.
/// </summary>
public enum KvmCapability
{
    Irqchip = 0,
    Hlt = 1,
    UserMemory = 3,
    SetTssAddr = 4,
    ExtCpuid = 7,
    NrVcpus = 9,
    NrMemslots = 10,
    MpState = 14,
    CoalescedMmio = 15,
    UserNmi = 22,
    SetGuestDebug = 23,
    Mce = 31,
    Irqfd = 32,
    Pit2 = 33,
    Ioeventfd = 36,
    SetIdentityMapAddr = 37,
    AdjustClock = 39,
    InternalErrorData = 40,
    VcpuEvents = 41,
    Hyperv = 44,
    Debugregs = 50,
    EnableCap = 54,
    Xsave = 55,
    Xcrs = 56,
    TscControl = 60,
    GetTscKhz = 61,
    MaxVcpus = 66,
    SyncRegs = 74,
    ReadonlyMem = 81,
    SplitIrqchip = 121,
    ImmediateExit = 136,
    NestedState = 157,
    CoalescedPio = 162,
    X86UserSpaceMsr = 188,
    X86MsrFilter = 189,
    Xsave2 = 208,
}
