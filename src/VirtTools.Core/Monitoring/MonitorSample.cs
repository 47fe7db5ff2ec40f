namespace VirtTools.Monitoring;

/// <summary>
/// One item as one refresh sees it: gauges, rates since the previous refresh, and short histories.
/// What Show-VirtDashboard -Once emits, one per container, machine and cgroup.
/// </summary>
public sealed record MonitorSample
{
    public required MonitoredKind Kind { get; init; }

    public required string Name { get; init; }

    public required string State { get; init; }

    public bool IsRunning { get; init; }

    /// <summary>CPU use as a percentage of the whole host (100 = every host CPU busy); null on the first refresh.</summary>
    public double? CpuPercent { get; init; }

    /// <summary>CPU use as a percentage of the item's quota (100 = using all of it); null when unlimited.</summary>
    public double? CpuQuotaPercent { get; init; }

    /// <summary>CPU quota in CPUs; null when unlimited.</summary>
    public double? CpuQuota { get; init; }

    /// <summary>Share of the last interval spent throttled by the quota, in percent.</summary>
    public double? ThrottledPercent { get; init; }

    /// <summary>Periods throttled since the previous refresh.</summary>
    public long? ThrottledPeriods { get; init; }

    public long? MemoryBytes { get; init; }

    public long? MemoryLimit { get; init; }

    /// <summary>Memory use as a percentage of the limit; null when unlimited.</summary>
    public double? MemoryPercent { get; init; }

    public long? Pids { get; init; }

    public long? PidsLimit { get; init; }

    public TimeSpan? Uptime { get; init; }

    public string? Accelerator { get; init; }

    public int? Vcpus { get; init; }

    /// <summary>vCPU exits per second (hardware accelerators).</summary>
    public double? ExitsPerSecond { get; init; }

    /// <summary>Guest instructions per second, in millions (the emulator).</summary>
    public double? Mips { get; init; }

    /// <summary>OOM kills so far.</summary>
    public long? OomKills { get; init; }

    public string? EndReason { get; init; }

    public ItemActions Actions { get; init; }

    /// <summary>CPU % of host over the last refreshes, oldest first.</summary>
    public IReadOnlyList<double> CpuHistory { get; init; } = [];

    /// <summary>Memory in bytes over the last refreshes, oldest first.</summary>
    public IReadOnlyList<double> MemoryHistory { get; init; } = [];

    /// <summary>Static facts for the detail pane.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Details { get; init; } = [];

    /// <summary>When the reading was taken.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Kind and name, unique across a snapshot.</summary>
    public string Key => KeyOf(Kind, Name);

    public static string KeyOf(MonitoredKind kind, string name) => $"{kind}/{name}";

    public override string ToString() => Key;
}
