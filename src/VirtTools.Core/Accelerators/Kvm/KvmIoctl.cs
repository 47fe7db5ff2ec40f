namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// ioctl request numbers of the KVM API (include/uapi/linux/kvm.h, x86-64). KVMIO is 0xAE; _IO(type, nr)
/// is (type &lt;&lt; 8) | nr; _IOW/_IOR/_IOWR add the argument size at bit 16 and the direction at bits 30-31.
/// The tests compile a C probe against the host's header and compare every number here.
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

    /// <summary>_IOWR(KVMIO, 0x05, struct kvm_cpuid2): the CPUID leaves KVM can virtualise.</summary>
    public const uint GetSupportedCpuid = 0xc008ae05;

    /// <summary>_IO(KVMIO, 0x41): a new vCPU fd (VM ioctl, argument is the vCPU id).</summary>
    public const uint CreateVcpu = 0xae41;

    /// <summary>_IOW(KVMIO, 0x46, struct kvm_userspace_memory_region).</summary>
    public const uint SetUserMemoryRegion = 0x4020ae46;

    /// <summary>_IO(KVMIO, 0x47): three pages KVM needs on VMX for real mode.</summary>
    public const uint SetTssAddr = 0xae47;

    /// <summary>_IOW(KVMIO, 0x48, __u64).</summary>
    public const uint SetIdentityMapAddr = 0x4008ae48;

    /// <summary>_IO(KVMIO, 0x60): in-kernel 8259 pair, IOAPIC and per-vCPU LAPIC.</summary>
    public const uint CreateIrqchip = 0xae60;

    /// <summary>_IOW(KVMIO, 0x61, struct kvm_irq_level).</summary>
    public const uint IrqLine = 0x4008ae61;

    /// <summary>_IOW(KVMIO, 0x77, struct kvm_pit_config).</summary>
    public const uint CreatePit2 = 0x4040ae77;

    /// <summary>_IO(KVMIO, 0x80).</summary>
    public const uint Run = 0xae80;

    /// <summary>_IOR(KVMIO, 0x81, struct kvm_regs).</summary>
    public const uint GetRegs = 0x8090ae81;

    /// <summary>_IOW(KVMIO, 0x82, struct kvm_regs).</summary>
    public const uint SetRegs = 0x4090ae82;

    /// <summary>_IOR(KVMIO, 0x83, struct kvm_sregs).</summary>
    public const uint GetSregs = 0x8138ae83;

    /// <summary>_IOW(KVMIO, 0x84, struct kvm_sregs).</summary>
    public const uint SetSregs = 0x4138ae84;

    /// <summary>_IOW(KVMIO, 0x86, struct kvm_interrupt): inject a vector (no in-kernel irqchip only).</summary>
    public const uint Interrupt = 0x4004ae86;

    /// <summary>_IOW(KVMIO, 0x89, struct kvm_msrs).</summary>
    public const uint SetMsrs = 0x4008ae89;

    /// <summary>_IOW(KVMIO, 0x8b, struct kvm_signal_mask): the signal mask in force while in KVM_RUN.</summary>
    public const uint SetSignalMask = 0x4004ae8b;

    /// <summary>_IOR(KVMIO, 0x8e, struct kvm_lapic_state).</summary>
    public const uint GetLapic = 0x8400ae8e;

    /// <summary>_IOW(KVMIO, 0x8f, struct kvm_lapic_state).</summary>
    public const uint SetLapic = 0x4400ae8f;

    /// <summary>_IOW(KVMIO, 0x90, struct kvm_cpuid2).</summary>
    public const uint SetCpuid2 = 0x4008ae90;

    /// <summary>_IOWR(KVMIO, 0x91, struct kvm_cpuid2): the CPUID table a vCPU was given.</summary>
    public const uint GetCpuid2 = 0xc008ae91;

    /// <summary>_IOR(KVMIO, 0x98, struct kvm_mp_state): runnable, waiting for INIT/SIPI, halted, ...</summary>
    public const uint GetMpState = 0x8004ae98;

    /// <summary>_IOW(KVMIO, 0x99, struct kvm_mp_state).</summary>
    public const uint SetMpState = 0x4004ae99;
}
