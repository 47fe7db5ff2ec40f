using VirtTools.Cgroups;

namespace VirtTools.Host;

/// <summary>Everything <c>Get-VirtHost</c> reports: what this host can do, measured.</summary>
public sealed record HostInfo(
    string HostName,
    string KernelRelease,
    string OperatingSystem,
    bool IsRoot,
    CpuIdentity? Cpu,
    HypervisorInfo Hypervisor,
    ContainerInfo Container,
    KvmInfo Kvm,
    CgroupTopology Cgroups,
    NamespaceSupport Namespaces,
    IReadOnlyList<AcceleratorKind> Accelerators,
    IReadOnlyList<string> Unchecked)
{
    /// <summary>Convenience for tables: the name of the hypervisor below us, or "none".</summary>
    public string HypervisorName => Hypervisor.Name ?? "none";

    /// <summary>Convenience for tables: the container we run in, or "none".</summary>
    public string ContainerName => Container.Name ?? "none";
}
