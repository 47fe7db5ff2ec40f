using Serilog;

namespace VirtTools.Cgroups.Resources;

/// <summary>Memory: hard limit, soft limit and swap (v2 memory.max/high/swap.max, v1 memory.*limit_in_bytes).</summary>
internal static class MemoryWriter
{
    public static void Apply(CgroupPlacement at, CgroupLimits limits, ILogger log)
    {
        if (limits.MemoryMax is null && limits.MemoryHigh is null && limits.SwapMax is null)
        {
            return;
        }
        var node = at.Memory!;
        var unlimited = node.IsV2 ? "max" : "-1";
        var swapFile = node.IsV2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";

        // Without swap accounting (no CONFIG_MEMCG_SWAP, or swapaccount=0) the swap file is absent:
        // swap is then not charged to groups at all, so there is nothing a swap limit could cap.
        var swapAccounted = File.Exists(node.File(swapFile));
        if (limits.SwapMax is not null && !swapAccounted)
        {
            log.Warning("Swap limit of {Group} not set: this kernel does not account swap per cgroup", node.Directory);
        }

        // v1 caps memory + swap in one figure, which the kernel keeps at or above the memory limit:
        // remember the swap allowance, lift the cap while the memory limit moves, then set it again.
        long? v1Allowance = null;
        if (!node.IsV2 && swapAccounted)
        {
            var oldMemsw = CgroupFile.ReadLimit(node, swapFile);
            v1Allowance = limits.SwapMax ?? oldMemsw - CgroupFile.ReadLimit(node, "memory.limit_in_bytes");
            if (oldMemsw is not null)
            {
                CgroupFile.Write(node, swapFile, "-1");
            }
        }

        if (limits.MemoryMax is { } max)
        {
            CgroupFile.Write(node, node.IsV2 ? "memory.max" : "memory.limit_in_bytes", CgroupFile.Limit(max, unlimited));
        }
        if (limits.MemoryHigh is { } high)
        {
            CgroupFile.Write(node, node.IsV2 ? "memory.high" : "memory.soft_limit_in_bytes", CgroupFile.Limit(high, unlimited));
        }
        if (node.IsV2 && swapAccounted && limits.SwapMax is { } swap)
        {
            CgroupFile.Write(node, swapFile, CgroupFile.Limit(swap, unlimited));
        }
        if (v1Allowance is { } allowance && allowance < CgroupLimits.Unlimited
            && CgroupFile.ReadLimit(node, "memory.limit_in_bytes") is { } memory)
        {
            CgroupFile.Write(node, swapFile, CgroupFile.Limit(memory + allowance, unlimited));
        }
    }

    public static CgroupLimits Read(CgroupPlacement at, CgroupLimits into)
    {
        if (at.Memory is not { } node)
        {
            return into;
        }
        var max = CgroupFile.ReadLimit(node, node.IsV2 ? "memory.max" : "memory.limit_in_bytes");
        return into with
        {
            MemoryMax = max,
            MemoryHigh = CgroupFile.ReadLimit(node, node.IsV2 ? "memory.high" : "memory.soft_limit_in_bytes"),
            // v1 reports memory + swap; the allowance is what lies above the memory limit.
            SwapMax = node.IsV2
                ? CgroupFile.ReadLimit(node, "memory.swap.max")
                : CgroupFile.ReadLimit(node, "memory.memsw.limit_in_bytes") - max,
        };
    }
}
