using System.Globalization;
using VirtTools.Cgroups;
using VirtTools.Diagnostics;

namespace VirtTools.Monitoring;

/// <summary>
/// Readings of many groups, one per refresh, kept cheap: each group keeps a stats reader with its
/// control files open (one pread per file per refresh), and its limits, which change rarely, are
/// re-read every <see cref="LimitsEvery"/> refreshes. Groups not asked for in a refresh are released
/// by <see cref="EndRefresh"/>. Not thread-safe: one per source.
/// </summary>
internal sealed class CgroupReadings : IDisposable
{
    /// <summary>Limits are re-read every this many refreshes (5 s at the default interval).</summary>
    public const int LimitsEvery = 5;

    /// <summary>
    /// The figures a row shows. Peak memory, I/O and the three pressure files are not shown, and
    /// reading them was about half of a refresh's system calls (the pressure files' formatting the
    /// costliest in the kernel).
    /// </summary>
    internal const CgroupFigures Shown = CgroupFigures.Memory | CgroupFigures.Cpu | CgroupFigures.Pids;

    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> used = new(StringComparer.Ordinal);

    /// <summary>A reading of <paramref name="group"/>, or null when it is gone.</summary>
    public ItemReading? Read(Cgroup group, MonitoredKind kind, string name, ItemActions actions)
    {
        if (group.Placement.Primary is not { } primary)
        {
            return null;
        }
        var key = primary.Directory;
        used.Add(key);
        try
        {
            if (!entries.TryGetValue(key, out var entry))
            {
                entry = new Entry(group, group.OpenStatsReader(Shown), CreationTime(primary.Directory));
                entries[key] = entry;
            }
            var stats = entry.Reader.Read(out var readAny);
            if (!readAny)
            {
                return null;
            }
            if (entry.Limits is null || ++entry.RefreshesSinceLimits >= LimitsEvery)
            {
                entry.Limits = group.ReadLimits();
                entry.Details = Describe(group, entry.Limits);
                entry.RefreshesSinceLimits = 0;
            }
            return Reading(stats, entry, kind, name, actions);
        }
        catch (Exception e) when (e is VirtToolsException or IOException or UnauthorizedAccessException)
        {
            // Removed between the listing and the read.
            return null;
        }
    }

    /// <summary>Closes the readers of groups this refresh did not read.</summary>
    public void EndRefresh()
    {
        foreach (var key in entries.Keys.Where(k => !used.Contains(k)).ToList())
        {
            entries[key].Reader.Dispose();
            entries.Remove(key);
        }
        used.Clear();
    }

    public void Dispose()
    {
        foreach (var entry in entries.Values)
        {
            entry.Reader.Dispose();
        }
        entries.Clear();
    }

    private static ItemReading Reading(CgroupStats stats, Entry entry, MonitoredKind kind, string name, ItemActions actions)
    {
        var limits = entry.Limits!;
        var pids = stats.PidsCurrent;
        return new ItemReading
        {
            Kind = kind,
            Name = name,
            State = pids is > 0 ? "Active" : "Empty",
            IsRunning = pids is > 0,
            Started = entry.Created,
            MonotonicTicks = stats.MonotonicTicks,
            CpuUsage = stats.CpuUsage,
            CpuQuota = limits.Cpus,
            ThrottledPeriods = stats.CpuThrottledCount,
            ThrottledTime = stats.CpuThrottledTime,
            MemoryBytes = stats.MemoryCurrent,
            MemoryLimit = limits.MemoryMax,
            Pids = pids,
            PidsLimit = limits.PidsMax,
            OomKills = stats.OomKillCount,
            MemoryLimitHits = stats.MemoryMaxHits,
            PidsLimitHits = stats.PidsMaxHits,
            Actions = actions,
            Details = entry.Details,
        };
    }

    // A cgroup has no start time of its own; its directory's creation is when it was made.
    private static DateTimeOffset? CreationTime(string directory)
    {
        try
        {
            return Directory.GetCreationTimeUtc(directory);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static List<KeyValuePair<string, string>> Describe(Cgroup group, CgroupLimits limits)
    {
        var details = new List<KeyValuePair<string, string>>
        {
            new("Path", group.RelativePath),
            new("Memory max", limits.MemoryMax is { } m ? Units.Bytes(m) : "unlimited"),
            new("Memory high", limits.MemoryHigh is { } h ? Units.Bytes(h) : "unlimited"),
            new("CPUs", limits.Cpus is { } c ? c.ToString("0.##", CultureInfo.InvariantCulture) : "unlimited"),
            new("Pids max", limits.PidsMax?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"),
        };
        if (limits.CpusetCpus is { } set)
        {
            details.Add(new("Cpuset", set));
        }
        if (group.Placement.Primary is { } primary)
        {
            details.Add(new("Directory", primary.Directory));
        }
        return details;
    }

    private sealed class Entry(Cgroup group, CgroupStatsReader reader, DateTimeOffset? created)
    {
        public Cgroup Group { get; } = group;

        public CgroupStatsReader Reader { get; } = reader;

        public DateTimeOffset? Created { get; } = created;

        public CgroupLimits? Limits { get; set; }

        public IReadOnlyList<KeyValuePair<string, string>> Details { get; set; } = [];

        public int RefreshesSinceLimits { get; set; }
    }
}
