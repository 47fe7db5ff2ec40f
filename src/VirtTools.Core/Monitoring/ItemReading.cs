namespace VirtTools.Monitoring;

/// <summary>
/// What a source reads about one item at one instant: gauges as they are and counters as running
/// totals. <see cref="MonitorSampler"/> turns two consecutive readings into rates. A null figure is
/// not available for this item or on this host.
/// </summary>
public sealed record ItemReading
{
    public required MonitoredKind Kind { get; init; }

    public required string Name { get; init; }

    /// <summary>The source's own word for where the item is in its life (Running, Exited, Paused, ...).</summary>
    public required string State { get; init; }

    /// <summary>Whether the item counts as running for the "running only" view.</summary>
    public bool IsRunning { get; init; }

    /// <summary>When it started running, for the uptime.</summary>
    public DateTimeOffset? Started { get; init; }

    /// <summary>Monotonic time of the reading (Stopwatch ticks), for rates.</summary>
    public long MonotonicTicks { get; init; }

    /// <summary>CPU time used so far.</summary>
    public TimeSpan? CpuUsage { get; init; }

    /// <summary>CPU quota as a number of CPUs (1.5 = 150 ms per 100 ms); null when unlimited.</summary>
    public double? CpuQuota { get; init; }

    /// <summary>Periods throttled by the quota so far.</summary>
    public long? ThrottledPeriods { get; init; }

    /// <summary>Time spent throttled so far.</summary>
    public TimeSpan? ThrottledTime { get; init; }

    public long? MemoryBytes { get; init; }

    /// <summary>Hard memory limit in bytes; null when unlimited.</summary>
    public long? MemoryLimit { get; init; }

    public long? Pids { get; init; }

    /// <summary>pids.max; null when unlimited.</summary>
    public long? PidsLimit { get; init; }

    /// <summary>OOM kills so far.</summary>
    public long? OomKills { get; init; }

    /// <summary>Hits of the hard memory limit so far.</summary>
    public long? MemoryLimitHits { get; init; }

    /// <summary>Forks refused at pids.max so far.</summary>
    public long? PidsLimitHits { get; init; }

    /// <summary>The machine's accelerator (Kvm, Emulator, ...).</summary>
    public string? Accelerator { get; init; }

    public int? Vcpus { get; init; }

    /// <summary>vCPU exits so far (hardware accelerators).</summary>
    public long? Exits { get; init; }

    /// <summary>Guest instructions so far (the emulator).</summary>
    public long? Instructions { get; init; }

    /// <summary>Why it ended, when it has (exit code, signal, crash reason).</summary>
    public string? EndReason { get; init; }

    /// <summary>True when it ended abnormally (crash, killed by a signal, non-zero exit).</summary>
    public bool Failed { get; init; }

    /// <summary>Actions that apply in this state.</summary>
    public ItemActions Actions { get; init; }

    /// <summary>Static facts for the detail pane (limits, command, directories), in display order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Details { get; init; } = [];
}
