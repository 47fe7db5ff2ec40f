using VirtTools.Cgroups;
using VirtTools.Diagnostics;

namespace VirtTools.Isolation;

/// <summary>
/// The cgroups of one container, made with the shared cgroup API (<see cref="CgroupManager"/>): a group
/// named container-&lt;name&gt; under virttools/ below this process's own group in every hierarchy, with
/// the limits written by its resource writers. Get-VirtCgroup lists it like any other group.
/// The absolute directories are recorded in the container's state, because another pwsh (in another
/// cgroup) may have to remove it; removal and the OOM and peak readings work from those directories.
/// The monitor helper attaches the container's init by writing its pid into each cgroup.procs.
/// </summary>
public static class ContainerCgroups
{
    private static readonly Serilog.ILogger log = VirtLog.For<ContainerState>();

    /// <summary>The cgroup name of container <paramref name="name"/>.</summary>
    public static string GroupName(string name) => "container-" + name;

    /// <summary>Creates the group and writes the limits; returns its directories, one per hierarchy.</summary>
    public static IReadOnlyList<string> Create(string name, ContainerLimits limits, CgroupManager manager)
    {
        var group = manager.Get(GroupName(name));
        if (group.Exists)
        {
            // Left by a container whose cleanup never ran (its pwsh and monitor were killed).
            log.Warning("Reusing the leftover cgroup {Group}: its processes are killed first", group.Name);
            group.Remove(force: true);
        }
        var created = manager.Create(GroupName(name), new CgroupLimits
        {
            MemoryMax = limits.MemoryBytes,
            PidsMax = limits.Pids,
            Cpus = limits.Cpus,
        });
        return created.Directories;
    }

    /// <summary>Removes the groups, killing what is left in them; absent groups are fine.</summary>
    public static void Remove(IEnumerable<string> directories)
    {
        foreach (var directory in directories.Reverse())
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }
            // rmdir fails with EBUSY while a task is still in the group, and killed tasks take a
            // moment to leave: kill stragglers and retry for a bounded time.
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    Directory.Delete(directory);
                    break;
                }
                catch (IOException) when (attempt < 200)
                {
                    KillMembers(directory);
                    Thread.Sleep(5);
                }
                catch (IOException e)
                {
                    throw new VirtToolsException("CgroupBusy", VirtErrorKind.ResourceBusy, $"rmdir '{directory}': {e.Message}", directory, e);
                }
            }
            log.Debug("Removed cgroup {Directory}", directory);
        }
    }

    /// <summary>Whether the memory cgroup's OOM killer has killed a task (v1 memory.oom_control, v2 memory.events).</summary>
    public static bool OomKilled(IEnumerable<string> directories) =>
        directories.Any(d => ReadCounter(Path.Combine(d, "memory.oom_control"), "oom_kill") > 0
            || ReadCounter(Path.Combine(d, "memory.events"), "oom_kill") > 0);

    /// <summary>Peak memory use in bytes (v1 memory.max_usage_in_bytes, v2 memory.peak), null when not accounted.</summary>
    public static long? PeakMemory(IEnumerable<string> directories)
    {
        foreach (var directory in directories)
        {
            foreach (var file in new[] { "memory.max_usage_in_bytes", "memory.peak" })
            {
                var path = Path.Combine(directory, file);
                if (File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), out var bytes))
                {
                    return bytes;
                }
            }
        }
        return null;
    }

    private static void KillMembers(string directory)
    {
        try
        {
            foreach (var line in File.ReadAllLines(Path.Combine(directory, "cgroup.procs")))
            {
                if (int.TryParse(line, out var pid))
                {
                    _ = Tmds.Linux.LibC.kill(pid, Tmds.Linux.LibC.SIGKILL);
                }
            }
        }
        catch (IOException)
        {
        }
    }

    private static long ReadCounter(string path, string key)
    {
        if (!File.Exists(path))
        {
            return 0;
        }
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], out var value))
            {
                return value;
            }
        }
        return 0;
    }

}
