using System.Globalization;
using Serilog;

namespace VirtTools.Cgroups.Resources;

/// <summary>CPU bandwidth (number of CPUs) and weight (v2 cpu.max/cpu.weight, v1 cpu.cfs_*_us/cpu.shares).</summary>
internal static class CpuWriter
{
    public static void Apply(CgroupPlacement at, CgroupLimits limits, ILogger log)
    {
        if (limits.Cpus is null && limits.CpuWeight is null)
        {
            return;
        }
        var node = at.Cpu!;
        if (limits.Cpus is { } cpus)
        {
            var period = CgroupLimits.CpuPeriodMicroseconds;
            var quota = double.IsPositiveInfinity(cpus) ? -1 : (long)Math.Round(cpus * period);
            if (node.IsV2)
            {
                CgroupFile.Write(node, "cpu.max", $"{(quota < 0 ? "max" : quota.ToString(CultureInfo.InvariantCulture))} {period}");
            }
            else
            {
                // The quota is checked against the period in force: set the period first.
                CgroupFile.Write(node, "cpu.cfs_period_us", period.ToString(CultureInfo.InvariantCulture));
                CgroupFile.Write(node, "cpu.cfs_quota_us", quota.ToString(CultureInfo.InvariantCulture));
            }
        }
        if (limits.CpuWeight is { } weight)
        {
            CgroupFile.Write(node, node.IsV2 ? "cpu.weight" : "cpu.shares",
                (node.IsV2 ? weight : SharesFromWeight(weight)).ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// v1 shares are proportional like v2 weights; scaling keeps each default on the other (100 = 1024),
    /// clamped to the kernel's 2..262144.
    /// </summary>
    public static long SharesFromWeight(int weight) => Math.Clamp(weight * 1024L / 100, 2, 262144);

    public static int WeightFromShares(long shares) => (int)Math.Clamp((shares * 100 + 512) / 1024, 1, 10000);

    public static CgroupLimits Read(CgroupPlacement at, CgroupLimits into)
    {
        if (at.Cpu is not { } node)
        {
            return into;
        }
        if (node.IsV2)
        {
            double? cpus = null;
            var words = CgroupFile.TryReadText(node.File("cpu.max"))?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words is [var q, var p] && long.TryParse(q, out var quota) && long.TryParse(p, out var period) && period > 0)
            {
                cpus = (double)quota / period;
            }
            var weight = CgroupFile.ReadNumber(node, "cpu.weight");
            return into with { Cpus = cpus, CpuWeight = weight is { } w ? (int)w : null };
        }
        var v1Quota = CgroupFile.ReadNumber(node, "cpu.cfs_quota_us");
        var v1Period = CgroupFile.ReadNumber(node, "cpu.cfs_period_us");
        var shares = CgroupFile.ReadNumber(node, "cpu.shares");
        return into with
        {
            Cpus = v1Quota is > 0 && v1Period is > 0 ? (double)v1Quota.Value / v1Period.Value : null,
            CpuWeight = shares is { } s ? WeightFromShares(s) : null,
        };
    }
}
