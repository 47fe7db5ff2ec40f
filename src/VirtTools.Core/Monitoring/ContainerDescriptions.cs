using VirtTools.Diagnostics;
using VirtTools.Isolation;

namespace VirtTools.Monitoring;

/// <summary>
/// Each container's description (<see cref="ContainerStore.Describe"/>: config.json, the helper's
/// runtime and exit files, /proc checks) kept between refreshes and read again only when it may have
/// changed. A description depends on the state files, which change only by rename or delete (so the
/// state directory's stamp moves, <see cref="ContainerStore.StampOf"/>), and, while the container
/// runs, on its monitor helper being alive (a pidfd per running container, all polled at once:
/// <see cref="ProcessExitWatch"/>). A refresh of unchanged containers is one stat per container and
/// one poll(2) in all, instead of three file reads, a JSON parse and two /proc reads per container.
/// Not thread-safe: one per source.
/// </summary>
internal sealed class ContainerDescriptions(ContainerStore store) : IDisposable
{
    /// <summary>
    /// A description read less than this after its directory's mtime is read again next refresh: the
    /// mtime comes from a coarse clock, so a second change within the same tick would not move it
    /// (git's "racily clean" index entries). Generous against the tick, short against the interval.
    /// </summary>
    private static readonly TimeSpan racyWindow = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);

    /// <summary>How many descriptions the last <see cref="Refresh"/> read afresh (tests and the bench look at it).</summary>
    public int LastReadCount { get; private set; }

    /// <summary>Every container in the store, in name order, re-described where anything may have changed.</summary>
    public IReadOnlyList<Container> Refresh()
    {
        var names = store.Names();
        var exited = MonitorsExited();
        var result = new List<Container>(names.Count);
        var listed = new HashSet<string>(names, StringComparer.Ordinal);
        var reads = 0;
        foreach (var name in names)
        {
            var stamp = store.StampOf(name);
            if (stamp is null)
            {
                // Removed by another session between the listing and the stat.
                continue;
            }
            entries.TryGetValue(name, out var entry);
            if (entry is null || entry.MayHaveChanged(stamp.Value, exited))
            {
                entry?.Dispose();
                entries.Remove(name);
                entry = Read(name, stamp.Value);
                reads++;
                if (entry is null)
                {
                    continue;
                }
                entries[name] = entry;
            }
            result.Add(entry.Description);
        }
        foreach (var gone in entries.Keys.Where(k => !listed.Contains(k)).ToList())
        {
            entries[gone].Dispose();
            entries.Remove(gone);
        }
        LastReadCount = reads;
        return result;
    }

    public void Dispose()
    {
        foreach (var entry in entries.Values)
        {
            entry.Dispose();
        }
        entries.Clear();
    }

    /// <summary>The monitors (of running containers) that exited since the last refresh: one poll for all.</summary>
    private HashSet<ProcessExitWatch> MonitorsExited()
    {
        var watches = entries.Values.Select(e => e.Monitor).OfType<ProcessExitWatch>().ToList();
        var exited = ProcessExitWatch.Exited(watches);
        var result = new HashSet<ProcessExitWatch>();
        for (var i = 0; i < watches.Count; i++)
        {
            if (exited[i])
            {
                result.Add(watches[i]);
            }
        }
        return result;
    }

    private Entry? Read(string name, StateDirectoryStamp stamp)
    {
        Container description;
        try
        {
            description = store.Describe(name);
        }
        catch (Exception e) when (e is VirtToolsException or IOException or UnauthorizedAccessException)
        {
            // Removed by another session between the listing and the read.
            return null;
        }
        ProcessExitWatch? monitor = null;
        if (description.Status == ContainerStatus.Running && store.MonitorOf(name) is { } identity)
        {
            // Null when the monitor died since Describe looked (the next refresh sees the exit file
            // or the stale state) or without pidfd support: then Entry re-describes every refresh.
            monitor = ProcessExitWatch.Open(identity);
        }
        var racy = DateTime.UtcNow - stamp.ModifiedUtc < racyWindow;
        return new Entry(description, stamp, monitor, racy);
    }

    private sealed class Entry(Container description, StateDirectoryStamp stamp, ProcessExitWatch? monitor, bool racy) : IDisposable
    {
        public Container Description { get; } = description;

        public ProcessExitWatch? Monitor { get; } = monitor;

        /// <summary>
        /// Whether the description must be read again: its directory changed or was replaced, it was
        /// read too close to its last change to trust the stamp, or its liveness is in question (a
        /// running container whose monitor exited or cannot be watched; a created one-shot container,
        /// which turns stale when its creator dies).
        /// </summary>
        public bool MayHaveChanged(StateDirectoryStamp now, HashSet<ProcessExitWatch> exited) =>
            racy
            || now != stamp
            || Description.Status == ContainerStatus.Running && (Monitor is null || exited.Contains(Monitor))
            || Description is { Status: ContainerStatus.Created, OneShot: true };

        public void Dispose() => Monitor?.Dispose();
    }
}
