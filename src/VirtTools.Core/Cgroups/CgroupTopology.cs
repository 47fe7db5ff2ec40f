using VirtTools.Interop;

namespace VirtTools.Cgroups;

/// <summary>
/// Every cgroup hierarchy mounted on this host and this process's place in each, read from
/// /proc/self/mountinfo and /proc/self/cgroup. The cgroup managers create groups from here.
/// </summary>
public sealed record CgroupTopology(CgroupLayout Layout, IReadOnlyList<CgroupHierarchy> Hierarchies)
{
    /// <summary>Controllers the kernel offers in v1 hierarchies (cgroups(7)).</summary>
    private static readonly HashSet<string> v1Controllers =
    [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio", "perf_event",
        "hugetlb", "pids", "rdma", "misc",
    ];

    /// <summary>The v2 hierarchy, if mounted.</summary>
    public CgroupHierarchy? Unified => Hierarchies.FirstOrDefault(h => h.Version == 2);

    /// <summary>The hierarchy that carries <paramref name="controller"/>: v1 first on a hybrid host, where v1 holds the controllers.</summary>
    public CgroupHierarchy? For(string controller) =>
        Hierarchies.FirstOrDefault(h => h.Version == 1 && h.Controllers.Contains(controller))
        ?? Hierarchies.FirstOrDefault(h => h.Version == 2 && h.Controllers.Contains(controller));

    public static CgroupTopology Read(string mountInfoPath = "/proc/self/mountinfo", string cgroupPath = "/proc/self/cgroup")
    {
        var mounts = MountInfo.Read(mountInfoPath);
        var memberships = File.ReadAllLines(cgroupPath);
        return Build(mounts, memberships);
    }

    public static CgroupTopology Build(IReadOnlyList<MountInfo> mounts, IEnumerable<string> memberships)
    {
        // /proc/self/cgroup: "hierarchy-id:controller-list:path"; v2 is "0::path".
        var v1Paths = new Dictionary<string, string>(StringComparer.Ordinal);
        string? v2Path = null;
        foreach (var line in memberships)
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }
            if (parts[0] == "0" && parts[1].Length == 0)
            {
                v2Path = parts[2];
                continue;
            }
            foreach (var controller in parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                v1Paths[controller] = parts[2];
            }
        }

        var hierarchies = new List<CgroupHierarchy>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mount in mounts)
        {
            if (mount.FileSystemType == "cgroup")
            {
                var controllers = mount.SuperOptions.Split(',')
                    .Where(o => v1Controllers.Contains(o) || o.StartsWith("name=", StringComparison.Ordinal))
                    .ToList();
                var key = string.Join(',', controllers);
                if (controllers.Count == 0 || !seen.Add("1:" + key))
                {
                    continue; // the same hierarchy mounted twice (a bind mount): keep the first
                }
                var path = controllers.Select(c => v1Paths.GetValueOrDefault(c)).FirstOrDefault(p => p is not null) ?? "/";
                hierarchies.Add(Describe(1, mount, controllers, path));
            }
            else if (mount.FileSystemType == "cgroup2" && seen.Add("2"))
            {
                var controllers = ReadWords(Path.Combine(mount.MountPoint, "cgroup.controllers"));
                hierarchies.Add(Describe(2, mount, controllers, v2Path ?? "/"));
            }
        }

        var hasV1 = hierarchies.Any(h => h.Version == 1 && h.Controllers.Any(v1Controllers.Contains));
        var hasV2 = hierarchies.Any(h => h.Version == 2);
        var layout = (hasV1, hasV2) switch
        {
            (true, true) => CgroupLayout.Hybrid,
            (true, false) => CgroupLayout.V1,
            (false, true) => CgroupLayout.V2,
            _ => CgroupLayout.None,
        };
        return new CgroupTopology(layout, hierarchies);
    }

    private static CgroupHierarchy Describe(int version, MountInfo mount, IReadOnlyList<string> controllers, string processPath)
    {
        // The process path is relative to the hierarchy's true root; the mount may show a subtree.
        var relative = processPath;
        if (mount.Root != "/" && relative.StartsWith(mount.Root, StringComparison.Ordinal))
        {
            relative = relative[mount.Root.Length..];
        }
        var directory = Path.Join(mount.MountPoint, relative.TrimStart('/'));
        var writable = System.IO.Directory.Exists(directory) && Access.CanWrite(directory);
        var subtree = version == 2 ? ReadWords(Path.Combine(directory, "cgroup.subtree_control")) : [];
        return new CgroupHierarchy(version, mount.MountPoint, mount.Root, controllers, processPath, directory.TrimEnd('/') is "" ? "/" : directory.TrimEnd('/'), writable, subtree);
    }

    private static IReadOnlyList<string> ReadWords(string path)
    {
        try
        {
            return File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
