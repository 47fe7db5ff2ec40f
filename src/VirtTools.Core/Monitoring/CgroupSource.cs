using System.Diagnostics;
using System.Globalization;
using VirtTools.Cgroups;
using VirtTools.Diagnostics;

namespace VirtTools.Monitoring;

/// <summary>
/// Our cgroups (virttools/* under this process's group). <see cref="Cgroup"/> handles are kept
/// between refreshes, so a refresh is one directory listing plus each group's stat and limit files.
/// Groups a container owns are skipped (<see cref="IsOwned"/>): the container row shows them.
/// </summary>
public sealed class CgroupSource(CgroupManager manager) : IMonitorSource
{
    private readonly Dictionary<string, Cgroup> groups = new(StringComparer.Ordinal);

    public MonitoredKind Kind => MonitoredKind.Cgroup;

    /// <summary>Says whether a group directory belongs to another item (a container) and so is not listed here.</summary>
    public Func<string, bool> IsOwned { get; set; } = _ => false;

    public void Read(ICollection<ItemReading> readings)
    {
        var listed = manager.List();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var listedGroup in listed)
        {
            names.Add(listedGroup.Name);
            if (!groups.TryGetValue(listedGroup.Name, out var group))
            {
                group = listedGroup;
                groups[group.Name] = group;
            }
            if (group.Placement.Primary is { } primary && IsOwned(primary.Directory))
            {
                continue;
            }
            if (TryRead(group) is { } reading)
            {
                readings.Add(reading);
            }
        }
        foreach (var gone in groups.Keys.Where(n => !names.Contains(n)).ToList())
        {
            groups.Remove(gone);
        }
    }

    /// <summary>A reading of one group, or null when it vanished while being read.</summary>
    internal static ItemReading? TryRead(Cgroup group, MonitoredKind kind = MonitoredKind.Cgroup, string? name = null)
    {
        CgroupStats stats;
        CgroupLimits limits;
        try
        {
            stats = group.ReadStats();
            limits = group.ReadLimits();
        }
        catch (Exception e) when (e is VirtToolsException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var pids = stats.PidsCurrent;
        return new ItemReading
        {
            Kind = kind,
            Name = name ?? group.Name,
            State = pids is > 0 ? "Active" : "Empty",
            IsRunning = pids is > 0,
            Started = CreationTime(group),
            MonotonicTicks = stats.MonotonicTicks != 0 ? stats.MonotonicTicks : Stopwatch.GetTimestamp(),
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
            Actions = ItemActions.Kill | ItemActions.Remove,
            Details = Describe(group, limits),
        };
    }

    public void Perform(string name, ItemActions action)
    {
        var group = manager.Open(name);
        switch (action)
        {
            case ItemActions.Kill or ItemActions.Stop:
                group.Kill();
                break;
            case ItemActions.Remove:
                group.Remove(force: true);
                break;
            default:
                throw Unsupported(name, action);
        }
    }

    public IReadOnlyList<string> Tail(string name, int lines) => [];

    internal static VirtToolsException Unsupported(string name, ItemActions action) =>
        new("MonitorActionUnsupported", VirtErrorKind.NotSupported, $"'{name}' does not support {action}", name);

    // A cgroup has no start time of its own; its directory's change time is when it was made.
    private static DateTimeOffset? CreationTime(Cgroup group)
    {
        try
        {
            return group.Placement.Primary is { } p ? Directory.GetCreationTimeUtc(p.Directory) : null;
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
}
