using VirtTools.Cgroups;
using VirtTools.Diagnostics;

namespace VirtTools.Monitoring;

/// <summary>
/// Our cgroups (virttools/* under this process's group). A refresh is one directory listing plus,
/// per group, one pread of each stat file kept open since the group was first seen (limits every few
/// refreshes: <see cref="CgroupReadings"/>). Groups a container owns are skipped
/// (<see cref="IsOwned"/>): the container row shows them.
/// </summary>
public sealed class CgroupSource(CgroupManager manager) : IMonitorSource, IDisposable
{
    private readonly CgroupReadings readings = new();

    public MonitoredKind Kind => MonitoredKind.Cgroup;

    /// <summary>Says whether a group directory belongs to another item (a container) and so is not listed here.</summary>
    public Func<string, bool> IsOwned { get; set; } = _ => false;

    public void Read(ICollection<ItemReading> into)
    {
        try
        {
            foreach (var group in manager.List())
            {
                if (group.Placement.Primary is { } primary && IsOwned(primary.Directory))
                {
                    continue;
                }
                if (readings.Read(group, MonitoredKind.Cgroup, group.Name, ItemActions.Kill | ItemActions.Remove) is { } reading)
                {
                    into.Add(reading);
                }
            }
        }
        finally
        {
            readings.EndRefresh();
        }
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

    public void Dispose() => readings.Dispose();

    internal static VirtToolsException Unsupported(string name, ItemActions action) =>
        new("MonitorActionUnsupported", VirtErrorKind.NotSupported, $"'{name}' does not support {action}", name);
}
