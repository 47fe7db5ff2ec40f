using System.Diagnostics;
using System.Globalization;
using VirtTools.Cgroups;
using VirtTools.Diagnostics;
using VirtTools.Isolation;

namespace VirtTools.Monitoring;

/// <summary>
/// Containers from the host-wide store (/run/virttools/containers), with the usage of the cgroup
/// each one runs in. Their cgroups are marked as owned, so <see cref="CgroupSource"/> does not list
/// them a second time. Descriptions are kept between refreshes (<see cref="ContainerDescriptions"/>),
/// so an unchanged container costs a stat and its cgroup's reads.
/// </summary>
public sealed class ContainerSource : IMonitorSource, IDisposable
{
    private readonly ContainerRuntime runtime;
    private readonly CgroupManager? cgroups;
    private readonly ContainerDescriptions descriptions;
    private readonly CgroupReadings groups = new();

    /// <summary>What each description implies for the rows, worked out once per description.</summary>
    private readonly Dictionary<string, Derived> derived = new(StringComparer.Ordinal);

    /// <summary>Files in a container's state directory that may hold its output, most specific first.</summary>
    private static readonly string[] outputFiles = ["output", "output.log", "console.log", "log"];

    private readonly HashSet<string> ownedDirectories = new(StringComparer.Ordinal);

    public ContainerSource(ContainerRuntime runtime, CgroupManager? cgroups)
    {
        this.runtime = runtime;
        this.cgroups = cgroups;
        descriptions = new ContainerDescriptions(runtime.Store);
    }

    public MonitoredKind Kind => MonitoredKind.Container;

    /// <summary>How many container descriptions the last read took from the state files rather than from memory.</summary>
    public int LastDescribedCount => descriptions.LastReadCount;

    /// <summary>Whether <paramref name="directory"/> is the cgroup of a container seen in the last read.</summary>
    public bool Owns(string directory) => ownedDirectories.Contains(directory);

    public void Read(ICollection<ItemReading> readings)
    {
        ownedDirectories.Clear();
        try
        {
            ReadAll(readings);
        }
        finally
        {
            groups.EndRefresh();
        }
    }

    public void Dispose()
    {
        groups.Dispose();
        descriptions.Dispose();
    }

    private void ReadAll(ICollection<ItemReading> readings)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var container in descriptions.Refresh())
        {
            seen.Add(container.Name);
            foreach (var directory in container.CgroupDirectories)
            {
                ownedDirectories.Add(directory);
            }
            if (!derived.TryGetValue(container.Name, out var d) || !ReferenceEquals(d.Container, container))
            {
                d = new Derived(container, Describe(container), GroupOf(container));
                derived[container.Name] = d;
            }
            readings.Add(ReadOne(d));
        }
        foreach (var gone in derived.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            derived.Remove(gone);
        }
    }

    private ItemReading ReadOne(Derived d)
    {
        var container = d.Container;
        var running = container.Status == ContainerStatus.Running;
        var usage = running && d.Group is { } group ? groups.Read(group, MonitoredKind.Container, container.Name, ItemActions.None) : null;
        return new ItemReading
        {
            Kind = MonitoredKind.Container,
            Name = container.Name,
            State = container.Status.ToString(),
            IsRunning = running,
            Started = container.Started,
            MonotonicTicks = usage?.MonotonicTicks ?? Stopwatch.GetTimestamp(),
            CpuUsage = usage?.CpuUsage,
            CpuQuota = usage?.CpuQuota ?? container.Limits.Cpus,
            ThrottledPeriods = usage?.ThrottledPeriods,
            ThrottledTime = usage?.ThrottledTime,
            MemoryBytes = usage?.MemoryBytes,
            MemoryLimit = usage?.MemoryLimit ?? container.Limits.MemoryBytes,
            Pids = usage?.Pids,
            PidsLimit = usage?.PidsLimit ?? container.Limits.Pids,
            OomKills = usage?.OomKills,
            MemoryLimitHits = usage?.MemoryLimitHits,
            PidsLimitHits = usage?.PidsLimitHits,
            EndReason = EndReason(container),
            Failed = container.Status == ContainerStatus.Stale || container.Signal is not null || container.ExitCode is not (null or 0),
            Actions = running ? ItemActions.Stop | ItemActions.Kill | ItemActions.Remove : ItemActions.Remove,
            Details = d.Details,
        };
    }

    /// <summary>
    /// The container's group when it lives under this process's cgroup (the usual case: containers
    /// are placed relative to the pwsh that started them), whose usage the row shows; null otherwise.
    /// </summary>
    private Cgroup? GroupOf(Container container)
    {
        if (cgroups is null || container.CgroupDirectories.Count == 0)
        {
            return null;
        }
        // The group is named by the runtime (container-<name> under virttools/): take the name from
        // its recorded directory, and use it only if our manager places it at that same directory.
        Cgroup group;
        try
        {
            group = cgroups.Get(Path.GetFileName(container.CgroupDirectories[0].TrimEnd('/')));
        }
        catch (VirtToolsException)
        {
            return null;   // not a name our manager would give a group
        }
        return group.Placement.Primary is { } primary && container.CgroupDirectories.Contains(primary.Directory) ? group : null;
    }

    /// <summary>A description with its detail lines and its group, kept while the description is.</summary>
    private sealed record Derived(Container Container, IReadOnlyList<KeyValuePair<string, string>> Details, Cgroup? Group);

    private static string? EndReason(Container container) => container switch
    {
        { Status: ContainerStatus.Stale } => "its monitor died without recording an end",
        { Signal: { } signal } => string.Create(CultureInfo.InvariantCulture, $"killed by signal {signal}"),
        { Status: ContainerStatus.Exited, ExitCode: { } code } => string.Create(CultureInfo.InvariantCulture, $"exit code {code}"),
        _ => null,
    };

    private static List<KeyValuePair<string, string>> Describe(Container c)
    {
        var details = new List<KeyValuePair<string, string>>
        {
            new("Command", string.Join(' ', c.Command)),
            new("Isolation", c.Isolation.ToString()),
            new("Root", c.RootFs),
            new("Memory limit", c.Limits.MemoryBytes is { } m ? Units.Bytes(m) : "unlimited"),
            new("CPUs", c.Limits.Cpus?.ToString("0.##", CultureInfo.InvariantCulture) ?? "unlimited"),
            new("Pids limit", c.Limits.Pids?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"),
        };
        if (c.Pid is { } pid)
        {
            details.Add(new("Pid", pid.ToString(CultureInfo.InvariantCulture)));
        }
        if (c.ExitCode is { } code)
        {
            details.Add(new("Exit code", code.ToString(CultureInfo.InvariantCulture)));
        }
        details.Add(new("State", c.StateDirectory));
        return details;
    }

    public void Perform(string name, ItemActions action)
    {
        switch (action)
        {
            case ItemActions.Stop:
                runtime.Stop(name, TimeSpan.FromSeconds(10), force: false);
                break;
            case ItemActions.Kill:
                runtime.Stop(name, TimeSpan.Zero, force: true);
                break;
            case ItemActions.Remove:
                runtime.Remove(name, force: true);
                break;
            default:
                throw CgroupSource.Unsupported(name, action);
        }
    }

    public IReadOnlyList<string> Tail(string name, int lines)
    {
        var directory = runtime.Store.DirectoryOf(name);
        foreach (var file in outputFiles)
        {
            var path = Path.Combine(directory, file);
            if (File.Exists(path))
            {
                return TextTail.Read(path, lines);
            }
        }
        return [];
    }
}
