using Serilog;

namespace VirtTools.Cgroups.Resources;

/// <summary>CPUs the group may run on (cpuset.cpus, the same file on v1 and v2).</summary>
internal static class CpusetWriter
{
    public static void Apply(CgroupPlacement at, CgroupLimits limits, ILogger log)
    {
        if (limits.CpusetCpus is not { } cpus)
        {
            return;
        }
        CgroupFile.Write(at.Cpuset!, "cpuset.cpus", cpus);
    }

    /// <summary>
    /// A new v1 cpuset group starts with no CPUs and no memory nodes, and the kernel refuses to attach
    /// a task to it (ENOSPC): copy the parent's, as runc does. v2 groups inherit the parent's.
    /// </summary>
    public static void Inherit(CgroupNode node)
    {
        if (node.IsV2)
        {
            return;
        }
        var parent = new CgroupNode(Path.GetDirectoryName(node.Directory)!, 1);
        foreach (var file in new[] { "cpuset.cpus", "cpuset.mems" })
        {
            if (string.IsNullOrWhiteSpace(CgroupFile.TryReadText(node.File(file))))
            {
                CgroupFile.Write(node, file, CgroupFile.TryReadText(parent.File(file))?.Trim() ?? "");
            }
        }
    }

    public static CgroupLimits Read(CgroupPlacement at, CgroupLimits into) =>
        at.Cpuset is { } node ? into with { CpusetCpus = CgroupFile.TryReadText(node.File("cpuset.cpus"))?.Trim() is { Length: > 0 } s ? s : null } : into;
}
