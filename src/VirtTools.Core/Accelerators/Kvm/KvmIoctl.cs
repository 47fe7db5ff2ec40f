namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// ioctl request numbers of the KVM API (include/uapi/linux/kvm.h). KVMIO is 0xAE; _IO(type, nr) is
/// (type &lt;&lt; 8) | nr with no size or direction bits.
/// </summary>
internal static class KvmIoctl
{
    private const int Kvmio = 0xAE;

    /// <summary>_IO(KVMIO, 0x00): the API version, 12 on every kernel since 2.6.22.</summary>
    public const int GetApiVersion = (Kvmio << 8) | 0x00;

    /// <summary>_IO(KVMIO, 0x01): a new VM fd.</summary>
    public const int CreateVm = (Kvmio << 8) | 0x01;

    /// <summary>_IO(KVMIO, 0x03): 0 when absent, else 1 or a capability-specific number.</summary>
    public const int CheckExtension = (Kvmio << 8) | 0x03;

    /// <summary>_IO(KVMIO, 0x04): bytes to mmap from a vCPU fd (kvm_run plus extra pages).</summary>
    public const int GetVcpuMmapSize = (Kvmio << 8) | 0x04;
}
