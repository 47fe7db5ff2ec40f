using System.Diagnostics;
using Serilog;
using VirtTools.Diagnostics;

namespace VirtTools.Monitoring;

/// <summary>
/// Reads every source once per <see cref="Refresh"/> and turns consecutive readings into rows:
/// CPU % of the host and of the quota, throttling, memory and pids against their limits, uptime,
/// exits or instructions per second, short histories, and events (limit hits, OOM kills, exits,
/// crashes, items appearing and vanishing). One sampler per dashboard or cmdlet call, disposed after;
/// Refresh is not thread-safe, Perform and the event lists may be used from another thread.
/// </summary>
public sealed class MonitorSampler : IDisposable
{
    /// <summary>How many refreshes of history each item keeps (two minutes at the default interval).</summary>
    public const int DefaultHistoryLength = 120;

    /// <summary>How many recent events are kept for the detail pane.</summary>
    public const int EventCapacity = 500;

    private static readonly ILogger log = VirtLog.For<MonitorSampler>();

    private readonly IReadOnlyList<IMonitorSource> sources;
    private readonly int historyLength;
    private readonly Func<DateTimeOffset> clock;
    private readonly Dictionary<string, ItemState> items = new(StringComparer.Ordinal);
    private readonly LinkedList<MonitorEvent> recentEvents = new();
    private readonly List<ItemReading> readings = new(128);
    private bool first = true;

    public MonitorSampler(IEnumerable<IMonitorSource> sources, int hostCpus = 0, int historyLength = DefaultHistoryLength, Func<DateTimeOffset>? clock = null)
    {
        this.sources = sources.ToList();
        HostCpus = hostCpus > 0 ? hostCpus : Environment.ProcessorCount;
        this.historyLength = historyLength;
        this.clock = clock ?? (() => DateTimeOffset.UtcNow);
    }

    /// <summary>CPUs the host has: the denominator of <see cref="MonitorSample.CpuPercent"/>.</summary>
    public int HostCpus { get; }

    public IReadOnlyList<IMonitorSource> Sources => sources;

    /// <summary>The latest snapshot (empty before the first refresh).</summary>
    public MonitorSnapshot Current { get; private set; } = MonitorSnapshot.Empty;

    /// <summary>Events of the last refreshes, oldest first, at most <see cref="EventCapacity"/>.</summary>
    public IReadOnlyList<MonitorEvent> RecentEvents
    {
        get
        {
            lock (recentEvents)
            {
                return recentEvents.ToList();
            }
        }
    }

    /// <summary>Recent events of one item, oldest first.</summary>
    public IReadOnlyList<MonitorEvent> EventsOf(MonitoredKind kind, string name)
    {
        lock (recentEvents)
        {
            return recentEvents.Where(e => e.Kind == kind && e.Name == name).ToList();
        }
    }

    /// <summary>The source that owns items of <paramref name="kind"/>, if any.</summary>
    public IMonitorSource? SourceOf(MonitoredKind kind) => sources.FirstOrDefault(s => s.Kind == kind);

    /// <summary>Reads every source and computes the next snapshot.</summary>
    public MonitorSnapshot Refresh()
    {
        var started = Stopwatch.GetTimestamp();
        var now = clock();
        var events = new List<MonitorEvent>();
        readings.Clear();
        foreach (var source in sources)
        {
            try
            {
                source.Read(readings);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or VirtToolsException or InvalidOperationException)
            {
                // One unreadable source (a state directory removed under us) must not blank the others,
                // nor its own rows: they stay as last read until the next refresh reads them again.
                events.Add(new MonitorEvent(now, source.Kind, "", MonitorEventKind.SourceError, $"could not read {source.Kind} items: {e.Message}"));
                foreach (var state in items.Values)
                {
                    if (state.Previous is { } previous && previous.Kind == source.Kind)
                    {
                        readings.Add(previous);
                    }
                }
            }
        }

        var rows = new List<MonitorSample>(readings.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reading in readings)
        {
            var key = MonitorSample.KeyOf(reading.Kind, reading.Name);
            if (!seen.Add(key))
            {
                continue;
            }
            if (!items.TryGetValue(key, out var state))
            {
                state = new ItemState(historyLength);
                items[key] = state;
                if (!first)
                {
                    events.Add(new MonitorEvent(now, reading.Kind, reading.Name, MonitorEventKind.Appeared, $"appeared ({reading.State})"));
                }
            }
            rows.Add(Sample(reading, state.Previous, state, now, events));
            state.Previous = reading;
        }

        foreach (var gone in items.Where(p => !seen.Contains(p.Key)).ToList())
        {
            items.Remove(gone.Key);
            var previous = gone.Value.Previous!;
            events.Add(new MonitorEvent(now, previous.Kind, previous.Name, MonitorEventKind.Disappeared, "disappeared"));
        }

        foreach (var e in events)
        {
            Record(e);
        }
        first = false;
        Current = new MonitorSnapshot(now, rows, events, Stopwatch.GetElapsedTime(started), HostCpus);
        return Current;
    }

    /// <summary>Records an event from outside the refresh (the dashboard's own notes).</summary>
    public void Record(MonitorEvent e)
    {
        lock (recentEvents)
        {
            Remember(e);
        }
    }

    /// <summary>Runs an action through the item's source and records the outcome as an event; rethrows a failure.</summary>
    public void Perform(MonitoredKind kind, string name, ItemActions action)
    {
        var source = SourceOf(kind)
            ?? throw new VirtToolsException("MonitorSourceMissing", VirtErrorKind.NotSupported, $"Nothing provides {kind} items", name);
        try
        {
            source.Perform(name, action);
            Record(new MonitorEvent(clock(), kind, name, MonitorEventKind.Action, $"{action} done"));
        }
        catch (Exception e)
        {
            Record(new MonitorEvent(clock(), kind, name, MonitorEventKind.Action, $"{action} failed: {e.Message}"));
            throw;
        }
    }

    private void Remember(MonitorEvent e)
    {
        recentEvents.AddLast(e);
        if (recentEvents.Count > EventCapacity)
        {
            recentEvents.RemoveFirst();
        }
        log.Information("{Kind} {Name:l}: {Message:l}", e.Kind, e.Name, e.Message);
    }

    private MonitorSample Sample(ItemReading now, ItemReading? before, ItemState state, DateTimeOffset time, List<MonitorEvent> events)
    {
        double? cpuPercent = null, quotaPercent = null, throttledPercent = null, exitsPerSecond = null, mips = null;
        long? throttledPeriods = null;
        if (before is not null && now.MonotonicTicks > before.MonotonicTicks)
        {
            var seconds = Stopwatch.GetElapsedTime(before.MonotonicTicks, now.MonotonicTicks).TotalSeconds;
            if (now.CpuUsage is { } cpu && before.CpuUsage is { } cpuBefore && cpu >= cpuBefore)
            {
                var busy = (cpu - cpuBefore).TotalSeconds / seconds;
                cpuPercent = 100 * busy / HostCpus;
                quotaPercent = now.CpuQuota is > 0 and var quota ? 100 * busy / quota : null;
            }
            throttledPeriods = Delta(now.ThrottledPeriods, before.ThrottledPeriods);
            if (now.ThrottledTime is { } t && before.ThrottledTime is { } tBefore && t >= tBefore)
            {
                throttledPercent = Math.Min(100, 100 * (t - tBefore).TotalSeconds / seconds);
            }
            exitsPerSecond = Delta(now.Exits, before.Exits) / seconds;
            mips = Delta(now.Instructions, before.Instructions) / seconds / 1e6;

            Count(events, time, now, Delta(now.OomKills, before.OomKills), MonitorEventKind.OomKill, "OOM killer killed {0} process(es)");
            Count(events, time, now, Delta(now.MemoryLimitHits, before.MemoryLimitHits), MonitorEventKind.MemoryLimitHit, "hit its memory limit {0} time(s)");
            Count(events, time, now, Delta(now.PidsLimitHits, before.PidsLimitHits), MonitorEventKind.PidsLimitHit, "refused {0} fork(s) at its pids limit");
            if (before.IsRunning && !now.IsRunning)
            {
                events.Add(new MonitorEvent(time, now.Kind, now.Name, now.Failed ? MonitorEventKind.Crashed : MonitorEventKind.Exited,
                    now.EndReason is { } why ? $"{now.State}: {why}" : now.State));
            }
        }

        state.Cpu.Add(cpuPercent ?? 0);
        state.Memory.Add(now.MemoryBytes ?? 0);
        return new MonitorSample
        {
            Kind = now.Kind,
            Name = now.Name,
            State = now.State,
            IsRunning = now.IsRunning,
            CpuPercent = cpuPercent,
            CpuQuotaPercent = quotaPercent,
            CpuQuota = now.CpuQuota,
            ThrottledPercent = throttledPercent,
            ThrottledPeriods = throttledPeriods,
            MemoryBytes = now.MemoryBytes,
            MemoryLimit = now.MemoryLimit,
            MemoryPercent = now.MemoryBytes is { } m && now.MemoryLimit is > 0 and var limit ? 100.0 * m / limit : null,
            Pids = now.Pids,
            PidsLimit = now.PidsLimit,
            Uptime = now.IsRunning && now.Started is { } s ? Max(time - s, TimeSpan.Zero) : null,
            Accelerator = now.Accelerator,
            Vcpus = now.Vcpus,
            ExitsPerSecond = exitsPerSecond,
            Mips = mips,
            OomKills = now.OomKills,
            EndReason = now.EndReason,
            Actions = now.Actions,
            CpuHistory = state.Cpu.ToArray(),
            MemoryHistory = state.Memory.ToArray(),
            Details = now.Details,
            Timestamp = time,
        };
    }

    private static void Count(List<MonitorEvent> events, DateTimeOffset time, ItemReading item, long? increase, MonitorEventKind kind, string format)
    {
        if (increase is > 0 and var n)
        {
            events.Add(new MonitorEvent(time, item.Kind, item.Name, kind, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, n)));
        }
    }

    /// <summary>A counter's growth; null when either side is unknown or it went backwards (the item was recreated).</summary>
    private static long? Delta(long? now, long? before) => now is { } a && before is { } b && a >= b ? a - b : null;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Releases what the sources hold open (kept-open cgroup files).</summary>
    public void Dispose()
    {
        foreach (var source in sources.OfType<IDisposable>())
        {
            source.Dispose();
        }
    }

    private sealed class ItemState(int historyLength)
    {
        public ItemReading? Previous { get; set; }

        public HistoryBuffer Cpu { get; } = new(historyLength);

        public HistoryBuffer Memory { get; } = new(historyLength);
    }
}
