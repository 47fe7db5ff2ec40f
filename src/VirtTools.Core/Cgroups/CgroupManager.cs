using System.Globalization;
using System.Text.RegularExpressions;
using Serilog;
using Tmds.Linux;
using VirtTools.Cgroups.Resources;
using VirtTools.Diagnostics;

namespace VirtTools.Cgroups;

/// <summary>
/// Creates, finds and removes our groups. Every group lives under one parent (virttools/ by default)
/// placed below the caller's own cgroup in each hierarchy (<see cref="CgroupHierarchy.Directory"/>),
/// so the memory group of a caller in /process_api/x is /sys/fs/cgroup/memory/process_api/x/virttools/name
/// while its cpu group may be /sys/fs/cgroup/cpu/virttools/name. One manager per topology; it holds
/// no state beyond paths, so many may coexist in one process.
/// </summary>
public sealed class CgroupManager
{
    /// <summary>The parent directory of our groups in every hierarchy.</summary>
    public const string DefaultParent = "virttools";

    private static readonly ILogger log = VirtLog.For<CgroupManager>();
    private static readonly Regex validName = new(@"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$", RegexOptions.CultureInvariant);
    private static readonly string[] v2Controllers = ["cpu", "cpuset", "io", "memory", "pids"];

    private readonly CgroupPlacement parents;

    public CgroupManager(CgroupTopology topology, string parentName = DefaultParent)
    {
        if (!validName.IsMatch(parentName))
        {
            throw InvalidName(parentName);
        }
        Topology = topology;
        ParentName = parentName;
        parents = Place(topology, parentName);
    }

    /// <summary>A manager for the calling process's own cgroups, read from /proc/self.</summary>
    public static CgroupManager ForCurrentProcess(string parentName = DefaultParent) => new(CgroupTopology.Read(), parentName);

    public CgroupTopology Topology { get; }

    public string ParentName { get; }

    /// <summary>The parent directory in each hierarchy, per resource.</summary>
    public CgroupPlacement Parents => parents;

    /// <summary>Called with each directory this manager creates; tests use it to lay out control files in a scratch tree.</summary>
    internal Action<CgroupNode>? DirectoryCreated { get; set; }

    /// <summary>A handle on group <paramref name="name"/>, whether or not it exists (paths only).</summary>
    public Cgroup Get(string name)
    {
        if (!validName.IsMatch(name ?? ""))
        {
            throw InvalidName(name);
        }
        return new Cgroup(name!, $"{ParentName}/{name}", Child(parents, name!));
    }

    /// <summary>The existing group <paramref name="name"/>, or CgroupNotFound.</summary>
    public Cgroup Open(string name) => TryOpen(name) ?? throw NotFound(name);

    /// <summary>The existing group <paramref name="name"/>, or null.</summary>
    public Cgroup? TryOpen(string name)
    {
        var group = Get(name);
        return group.Exists ? group : null;
    }

    /// <summary>Our groups whose names match the wildcard <paramref name="pattern"/> (* and ?), sorted by name.</summary>
    public IReadOnlyList<Cgroup> List(string pattern = "*")
    {
        if (parents.Primary is not { } primary || !Directory.Exists(primary.Directory))
        {
            return [];
        }
        var match = new Regex("^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        var groups = new List<Cgroup>();
        foreach (var dir in Directory.EnumerateDirectories(primary.Directory))
        {
            var name = Path.GetFileName(dir);
            if (validName.IsMatch(name) && match.IsMatch(name))
            {
                groups.Add(Get(name));
            }
        }
        groups.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return groups;
    }

    /// <summary>
    /// Creates group <paramref name="name"/> in every hierarchy and applies <paramref name="limits"/>.
    /// Values are checked before anything is created; if a later step fails, what was created is removed.
    /// Throws CgroupExists, InvalidCgroupName, InvalidCgroup*, CgroupCreateFailed, CgroupWriteFailed.
    /// </summary>
    public Cgroup Create(string name, CgroupLimits? limits = null)
    {
        var group = Get(name);
        if (group.Placement.Primary is null)
        {
            throw new VirtToolsException("CgroupUnsupported", VirtErrorKind.NotSupported,
                "Cannot create a cgroup: no cgroup hierarchy is mounted on this host.", name);
        }
        if (limits is not null)
        {
            Cgroup.Check(limits, group.Placement, name);
        }
        if (group.Exists)
        {
            throw new VirtToolsException("CgroupExists", VirtErrorKind.AlreadyExists,
                $"Cgroup '{name}' already exists: use Set-VirtCgroup to change its limits, or Remove-VirtCgroup first.", name);
        }
        foreach (var parent in parents.Nodes)
        {
            EnsureParent(parent);
        }
        try
        {
            foreach (var node in group.Placement.Nodes)
            {
                MakeDirectory(node, name, mayExist: node != group.Placement.Primary);
                if (node == group.Placement.Cpuset)
                {
                    CpusetWriter.Inherit(node);
                }
                if (node.IsV2)
                {
                    EnableControllers(node);
                }
            }
            if (limits is not null && !limits.IsEmpty)
            {
                group.SetLimits(limits);
            }
        }
        catch
        {
            try
            {
                Cgroup.RemoveDirectories(group.Placement, name);
            }
            catch (VirtToolsException cleanup)
            {
                log.Warning("Could not undo the partial creation of cgroup {Name}: {Message}", name, cleanup.Message);
            }
            throw;
        }
        log.Information("Created cgroup {Name} in {Count} hierarchies", name, group.Placement.Nodes.Count);
        return group;
    }

    /// <summary>Removes group <paramref name="name"/>; see <see cref="Cgroup.Remove"/>.</summary>
    public void Remove(string name, bool force = false) => Open(name).Remove(force);

    internal static VirtToolsException NotFound(string name) =>
        new("CgroupNotFound", VirtErrorKind.NotFound, $"Cgroup '{name}' does not exist (see Get-VirtCgroup for the groups there are).", name);

    private static VirtToolsException InvalidName(string? name) =>
        new("InvalidCgroupName", VirtErrorKind.InvalidArgument,
            $"Invalid cgroup name '{name}': use 1 to 128 letters, digits and . _ @ + -, starting with a letter or digit.", name);

    private void EnsureParent(CgroupNode parent)
    {
        var created = MakeDirectory(parent, ParentName, mayExist: true);
        if (parent == parents.Cpuset)
        {
            CpusetWriter.Inherit(parent);
        }
        if (parent.IsV2)
        {
            // v2 only lets a child use the controllers its parent enabled in cgroup.subtree_control,
            // all the way down from the caller's group.
            EnableControllers(new CgroupNode(Path.GetDirectoryName(parent.Directory)!, 2));
            EnableControllers(parent);
        }
        if (created)
        {
            log.Debug("Created parent {Directory}", parent.Directory);
        }
    }

    /// <summary>Enables, for the children of <paramref name="node"/>, each resource controller the node itself has.</summary>
    private static void EnableControllers(CgroupNode node)
    {
        var available = (CgroupFile.TryReadText(node.File("cgroup.controllers")) ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var enabled = (CgroupFile.TryReadText(node.File("cgroup.subtree_control")) ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        foreach (var controller in v2Controllers)
        {
            if (!available.Contains(controller) || enabled.Contains(controller))
            {
                continue;
            }
            var errno = CgroupFile.TryWrite(node.File("cgroup.subtree_control"), "+" + controller);
            if (errno == Errno.EBUSY)
            {
                // The "no internal processes" rule: a v2 group with processes of its own cannot hand
                // domain controllers to children. The caller must sit in a leaf below a delegated group.
                throw Errno.Failure($"enable '{controller}' in '{node.File("cgroup.subtree_control")}' (the group has processes of its own)", errno, "CgroupCreateFailed", node.Directory);
            }
            if (errno != 0)
            {
                throw Errno.Failure($"write '+{controller}' to '{node.File("cgroup.subtree_control")}'", errno, "CgroupCreateFailed", node.Directory);
            }
        }
    }

    /// <summary>mkdir; true when this call created the directory.</summary>
    private unsafe bool MakeDirectory(CgroupNode node, string name, bool mayExist)
    {
        var bytes = CgroupFile.PathBytes(node.Directory);
        int rc;
        fixed (byte* p = bytes)
        {
            rc = LibC.mkdir(p, (mode_t)0x1ed /* 0755 */);
        }
        var errno = rc == 0 ? 0 : Errno.Last;
        if (errno == Errno.EEXIST && mayExist)
        {
            return false;
        }
        if (errno == Errno.EEXIST)
        {
            throw new VirtToolsException("CgroupExists", VirtErrorKind.AlreadyExists, $"Cgroup '{name}' already exists.", name);
        }
        if (errno != 0)
        {
            throw Errno.Failure($"mkdir '{node.Directory}'", errno, "CgroupCreateFailed", name);
        }
        DirectoryCreated?.Invoke(node);
        return true;
    }

    /// <summary>The hierarchy per resource, and the parent directory in it.</summary>
    private static CgroupPlacement Place(CgroupTopology topology, string parentName)
    {
        CgroupNode? At(CgroupHierarchy? h) => h is null ? null : new CgroupNode(Path.Join(h.Directory, parentName), h.Version);
        var unified = topology.Unified;
        CgroupHierarchy? V2With(string controller) =>
            unified is not null && unified.Controllers.Contains(controller) ? unified : null;
        CgroupHierarchy? V1(string controller) =>
            topology.Hierarchies.FirstOrDefault(h => h.Version == 1 && h.Controllers.Contains(controller));

        return new CgroupPlacement(
            Memory: At(V1("memory") ?? V2With("memory")),
            Cpu: At(V1("cpu") ?? V2With("cpu")),
            // v2 accounts CPU time in every group (cpu.stat is a core file); v1 needs cpuacct.
            CpuAccounting: At(V1("cpuacct") ?? unified),
            Cpuset: At(V1("cpuset") ?? V2With("cpuset")),
            Pids: At(V1("pids") ?? V2With("pids")),
            Io: At(V1("blkio") ?? V2With("io")),
            Unified: At(unified));
    }

    private static CgroupPlacement Child(CgroupPlacement parent, string name)
    {
        CgroupNode? C(CgroupNode? n) => n is null ? null : new CgroupNode(Path.Join(n.Directory, name), n.Version);
        return new CgroupPlacement(C(parent.Memory), C(parent.Cpu), C(parent.CpuAccounting), C(parent.Cpuset), C(parent.Pids), C(parent.Io), C(parent.Unified));
    }

    public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0} ({1})", ParentName, Topology.Layout);
}
