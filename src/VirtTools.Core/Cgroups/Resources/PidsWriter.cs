using Serilog;

namespace VirtTools.Cgroups.Resources;

/// <summary>Task count limit (pids.max, the same file and syntax on v1 and v2).</summary>
internal static class PidsWriter
{
    public static void Apply(CgroupPlacement at, CgroupLimits limits, ILogger log)
    {
        if (limits.PidsMax is not { } max)
        {
            return;
        }
        CgroupFile.Write(at.Pids!, "pids.max", CgroupFile.Limit(max, "max"));
    }

    public static CgroupLimits Read(CgroupPlacement at, CgroupLimits into) =>
        at.Pids is { } node ? into with { PidsMax = CgroupFile.ReadLimit(node, "pids.max") } : into;
}
