namespace VirtTools.Cgroups;

/// <summary>
/// One reading of a group's usage, with the same names on v1 and v2. A null figure does not exist on
/// this layout (or its file is absent on this kernel); the mapping per layout is in docs/cgroups.md:
/// <list type="bullet">
/// <item><see cref="OomCount"/> and <see cref="MemoryHighHits"/> exist on v2 only (memory.events); v1 counts OOM kills only.</item>
/// <item><see cref="MemoryPeak"/> is v2 memory.peak (Linux 5.19+) or v1 memory.max_usage_in_bytes.</item>
/// <item>Pressure (PSI) comes from the v2 hierarchy, also on a hybrid host where our groups are mirrored there.</item>
/// </list>
/// </summary>
public sealed record CgroupStats
{
    /// <summary>When the reading was taken (UTC).</summary>
    public DateTime Timestamp { get; init; }

    /// <summary>Monotonic time of the reading (Stopwatch ticks), for rates between two readings.</summary>
    public long MonotonicTicks { get; init; }

    /// <summary>Memory charged to the group now, in bytes (v2 memory.current, v1 memory.usage_in_bytes).</summary>
    public long? MemoryCurrent { get; init; }

    /// <summary>Highest memory charge seen, in bytes (v2 memory.peak, v1 memory.max_usage_in_bytes).</summary>
    public long? MemoryPeak { get; init; }

    /// <summary>How often the hard memory limit was hit (v2 memory.events max, v1 memory.failcnt).</summary>
    public long? MemoryMaxHits { get; init; }

    /// <summary>How often the soft limit was exceeded (v2 memory.events high); null on v1.</summary>
    public long? MemoryHighHits { get; init; }

    /// <summary>How often the group ran out of memory (v2 memory.events oom); null on v1, which only counts kills.</summary>
    public long? OomCount { get; init; }

    /// <summary>Processes killed by the OOM killer in the group (v2 memory.events oom_kill, v1 memory.oom_control oom_kill).</summary>
    public long? OomKillCount { get; init; }

    /// <summary>CPU time used by the group (v2 cpu.stat usage_usec, v1 cpuacct.usage).</summary>
    public TimeSpan? CpuUsage { get; init; }

    /// <summary>Periods in which the group was throttled by its quota (cpu.stat nr_throttled on both).</summary>
    public long? CpuThrottledCount { get; init; }

    /// <summary>Time the group spent throttled (v2 cpu.stat throttled_usec, v1 cpu.stat throttled_time).</summary>
    public TimeSpan? CpuThrottledTime { get; init; }

    /// <summary>Tasks in the group now (pids.current).</summary>
    public long? PidsCurrent { get; init; }

    /// <summary>Forks refused at pids.max (pids.events max on both).</summary>
    public long? PidsMaxHits { get; init; }

    /// <summary>Bytes read from block devices (v2 io.stat rbytes, v1 blkio.throttle.io_service_bytes_recursive Read).</summary>
    public long? IoReadBytes { get; init; }

    /// <summary>Bytes written to block devices (v2 io.stat wbytes, v1 blkio.throttle.io_service_bytes_recursive Write).</summary>
    public long? IoWriteBytes { get; init; }

    /// <summary>CPU pressure (cpu.pressure); null where the kernel has no PSI or no v2 hierarchy.</summary>
    public PressureStats? CpuPressure { get; init; }

    /// <summary>Memory pressure (memory.pressure).</summary>
    public PressureStats? MemoryPressure { get; init; }

    /// <summary>io pressure (io.pressure).</summary>
    public PressureStats? IoPressure { get; init; }
}
