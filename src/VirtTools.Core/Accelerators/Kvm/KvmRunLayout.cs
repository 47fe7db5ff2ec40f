namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// Byte offsets into the mmap'ed <c>struct kvm_run</c> (x86-64), checked by the tests against the
/// host's header. The exit union starts at 0x20.
/// </summary>
internal static class KvmRunLayout
{
    public const int RequestInterruptWindow = 0x00;
    public const int ImmediateExit = 0x01;
    public const int ExitReason = 0x08;
    public const int ReadyForInterruptInjection = 0x0c;
    public const int IfFlag = 0x0d;

    // struct { __u8 direction; __u8 size; __u16 port; __u32 count; __u64 data_offset; } io
    public const int IoDirection = 0x20;
    public const int IoSize = 0x21;
    public const int IoPort = 0x22;
    public const int IoCount = 0x24;
    public const int IoDataOffset = 0x28;

    // struct { __u64 phys_addr; __u8 data[8]; __u32 len; __u8 is_write; } mmio
    public const int MmioPhysAddr = 0x20;
    public const int MmioData = 0x28;
    public const int MmioLen = 0x30;
    public const int MmioIsWrite = 0x34;

    // struct { __u64 hardware_entry_failure_reason; __u32 cpu; } fail_entry
    public const int FailEntryReason = 0x20;

    // struct { __u32 suberror; __u32 ndata; __u64 data[16]; } internal, same shape for system_event
    public const int InternalSuberror = 0x20;
    public const int InternalNdata = 0x24;
    public const int InternalData = 0x28;

    // struct { __u64 hardware_exit_reason; } hw
    public const int HardwareExitReason = 0x20;
}
