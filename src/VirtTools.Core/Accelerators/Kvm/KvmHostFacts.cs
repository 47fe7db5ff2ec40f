using VirtTools.Host;

namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// What an open /dev/kvm that passed the checks says about this host: its kind (hardware or PVM),
/// the vCPU mapping size, the supported CPUID table (each vCPU gets a copy), the in-kernel devices
/// and the vCPU limit. The same for every VM while the module stays loaded.
/// </summary>
internal sealed record KvmHostFacts(
    KvmKind Kind,
    string? Module,
    int VcpuMmapSize,
    byte[] SupportedCpuid,
    bool HasIrqchip,
    bool HasPit2,
    int MaxVcpus);
