using System.Globalization;
using VirtTools.Cgroups;
using VirtTools.Diagnostics;

namespace VirtTools.Isolation;

/// <summary>
/// The cgroups of one container: a group named virttools/&lt;name&gt; under this process's own group in
/// each hierarchy it needs (memory and pids always, cpu when limited), with the limits written.
/// On v1 and hybrid hosts the v1 controllers are used; on v2 the unified hierarchy.
/// The monitor helper attaches the container's init by writing its pid into each cgroup.procs.
/// This is the container side's own small writer until the shared cgroup API (Cgroups/) lands;
/// docs/containers.md says how it maps.
/// </summary>
public static class ContainerCgroups
{
    private static readonly Serilog.ILogger log = VirtLog.For<ContainerState>();

    /// <summary>Creates the groups and writes the limits; removes what it made if a step fails.</summary>
    public static IReadOnlyList<string> Create(string name, ContainerLimits limits, CgroupTopology topology)
    {
        var created = new List<string>();
        try
        {
            if (topology.Layout == CgroupLayout.V2)
            {
                var unified = topology.Unified!;
                var directory = MakeGroup(unified, name, created);
                WriteIfSet(directory, "memory.max", limits.MemoryBytes);
                WriteIfSet(directory, "pids.max", limits.Pids);
                if (limits.Cpus is { } cpus)
                {
                    Write(directory, "cpu.max", $"{(long)(cpus * 100_000)} 100000");
                }
                return created;
            }
            foreach (var controller in new[] { "memory", "pids", "cpu" })
            {
                if (controller == "cpu" && limits.Cpus is null)
                {
                    continue;
                }
                var hierarchy = topology.For(controller);
                if (hierarchy is null)
                {
                    if (controller == "memory" && limits.MemoryBytes is null || controller == "pids" && limits.Pids is null)
                    {
                        continue; // accounting only: a host without the controller just has none
                    }
                    throw new VirtToolsException("CgroupControllerMissing", VirtErrorKind.NotSupported,
                        $"The {controller} cgroup controller is not mounted on this host, so the {controller} limit cannot be applied", controller);
                }
                var directory = MakeGroup(hierarchy, name, created);
                switch (controller)
                {
                    case "memory":
                        WriteIfSet(directory, "memory.limit_in_bytes", limits.MemoryBytes);
                        // With no swap accounting (memory.memsw absent) the plain limit is all there is.
                        if (limits.MemoryBytes is { } memory && File.Exists(Path.Combine(directory, "memory.memsw.limit_in_bytes")))
                        {
                            Write(directory, "memory.memsw.limit_in_bytes", memory.ToString(CultureInfo.InvariantCulture));
                        }
                        break;
                    case "pids":
                        WriteIfSet(directory, "pids.max", limits.Pids);
                        break;
                    case "cpu":
                        Write(directory, "cpu.cfs_period_us", "100000");
                        Write(directory, "cpu.cfs_quota_us", ((long)(limits.Cpus!.Value * 100_000)).ToString(CultureInfo.InvariantCulture));
                        break;
                }
            }
            return created;
        }
        catch
        {
            Remove(created);
            throw;
        }
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

    private static string MakeGroup(CgroupHierarchy hierarchy, string name, List<string> created)
    {
        var parent = Path.Combine(hierarchy.Directory, "virttools");
        Directory.CreateDirectory(parent);
        var directory = Path.Combine(parent, name);
        if (Directory.Exists(directory))
        {
            // A group of this name outlived its container (a crash before cleanup): reuse it empty.
            KillMembers(directory);
        }
        else
        {
            Directory.CreateDirectory(directory);
        }
        created.Add(directory);
        return directory;
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

    private static void WriteIfSet(string directory, string file, long? value)
    {
        if (value is { } v)
        {
            Write(directory, file, v.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void Write(string directory, string file, string value)
    {
        var path = Path.Combine(directory, file);
        try
        {
            File.WriteAllText(path, value);
        }
        catch (IOException e)
        {
            throw new VirtToolsException("CgroupWriteFailed", VirtErrorKind.DeviceError, $"write '{path}' = {value}: {e.Message}", path, e);
        }
    }
}
