namespace VirtTools.Isolation;

/// <summary>Cgroup limits for a container; null means unlimited (nothing is written).</summary>
/// <param name="MemoryBytes">Memory limit in bytes (memory.limit_in_bytes / memory.max).</param>
/// <param name="Pids">Maximum number of tasks (pids.max).</param>
/// <param name="Cpus">CPU bandwidth in CPUs, e.g. 0.5 (cpu.cfs_quota_us / cpu.max).</param>
public sealed record ContainerLimits(long? MemoryBytes = null, long? Pids = null, double? Cpus = null)
{
    public bool IsEmpty => MemoryBytes is null && Pids is null && Cpus is null;
}
