namespace VirtTools.Cgroups;

/// <summary>
/// Where one group lives: its directory for each resource. On a v2 host every resource is the same
/// directory; on v1 each controller has its own hierarchy; on a hybrid host the controllers are v1 and
/// <see cref="Unified"/> is the mirror in the cgroup2 mount that gives pressure (PSI), cgroup.kill and
/// cgroup.events. A null resource means no hierarchy on this host carries it.
/// </summary>
public sealed record CgroupPlacement(
    CgroupNode? Memory,
    CgroupNode? Cpu,
    CgroupNode? CpuAccounting,
    CgroupNode? Cpuset,
    CgroupNode? Pids,
    CgroupNode? Io,
    CgroupNode? Unified)
{
    /// <summary>Every distinct directory of the group, the primary one (<see cref="Primary"/>) first.</summary>
    public IReadOnlyList<CgroupNode> Nodes { get; } = Distinct(Memory, Pids, Cpu, CpuAccounting, Cpuset, Io, Unified);

    /// <summary>The directory whose existence says the group exists, and where groups are listed.</summary>
    public CgroupNode? Primary => Nodes.Count > 0 ? Nodes[0] : null;

    private static List<CgroupNode> Distinct(params CgroupNode?[] nodes)
    {
        var list = new List<CgroupNode>();
        foreach (var node in nodes)
        {
            if (node is not null && !list.Exists(n => n.Directory == node.Directory))
            {
                list.Add(node);
            }
        }
        return list;
    }
}
