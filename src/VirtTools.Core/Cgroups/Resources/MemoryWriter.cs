using Serilog;
using VirtTools.Diagnostics;

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
        if (node.IsV2)
        {
            if (limits.MemoryMax is { } max)
            {
                CgroupFile.Write(node, "memory.max", CgroupFile.Limit(max, "max"));
            }
            if (limits.MemoryHigh is { } high)
            {
                CgroupFile.Write(node, "memory.high", CgroupFile.Limit(high, "max"));
            }
            if (limits.SwapMax is { } swap)
            {
                // memory.swap.max exists only with swap accounting (CONFIG_MEMCG_SWAP, swapaccount=1);
                // without it swap use is not charged to groups at all, so there is nothing to cap.
                if (!File.Exists(node.File("memory.swap.max")))
                {
                    log.Warning("Swap limit of {Group} not set: this kernel does not account swap per cgroup", node.Directory);
                }
                else
                {
                    CgroupFile.Write(node, "memory.swap.max", CgroupFile.Limit(swap, "max"));
                }
            }
            return;
        }

        // v1 counts swap inside memory.memsw.limit_in_bytes (memory + swap), which the kernel keeps
        // at or above memory.limit_in_bytes: lift it first, set the memory limit, then put it back.
        var memsw = File.Exists(node.File("memory.memsw.limit_in_bytes"));
        var oldMemory = CgroupFile.ReadLimit(node, "memory.limit_in_bytes");
        var oldMemsw = memsw ? CgroupFile.ReadLimit(node, "memory.memsw.limit_in_bytes") : null;
        long? swapAllowance = limits.SwapMax ?? (oldMemsw is { } m && oldMemory is { } o ? m - o : null);
        if (limits.SwapMax is not null && !memsw)
        {
            // No memory.memsw.* files: swap accounting is off (swapaccount=0 or no CONFIG_MEMCG_SWAP).
            log.Warning("Swap limit of {Group} not set: this kernel does not account swap per cgroup", node.Directory);
        }
        if (memsw && oldMemsw is not null)
        {
            CgroupFile.Write(node, "memory.memsw.limit_in_bytes", "-1");
        }
        if (limits.MemoryMax is { } v1Max)
        {
            CgroupFile.Write(node, "memory.limit_in_bytes", CgroupFile.Limit(v1Max, "-1"));
        }
        if (limits.MemoryHigh is { } soft)
        {
            CgroupFile.Write(node, "memory.soft_limit_in_bytes", CgroupFile.Limit(soft, "-1"));
        }
        var memory = limits.MemoryMax ?? oldMemory;
        if (memsw && swapAllowance is { } allowance && allowance < CgroupLimits.Unlimited && memory is { } mem && mem < CgroupLimits.Unlimited)
        {
            CgroupFile.Write(node, "memory.memsw.limit_in_bytes", CgroupFile.Limit(mem + allowance, "-1"));
        }
    }

    public static CgroupLimits Read(CgroupPlacement at, CgroupLimits into)
    {
        if (at.Memory is not { } node)
        {
            return into;
        }
        if (node.IsV2)
        {
            return into with
            {
                MemoryMax = CgroupFile.ReadLimit(node, "memory.max"),
                MemoryHigh = CgroupFile.ReadLimit(node, "memory.high"),
                SwapMax = CgroupFile.ReadLimit(node, "memory.swap.max"),
            };
        }
        var max = CgroupFile.ReadLimit(node, "memory.limit_in_bytes");
        var memsw = CgroupFile.ReadLimit(node, "memory.memsw.limit_in_bytes");
        return into with
        {
            MemoryMax = max,
            MemoryHigh = CgroupFile.ReadLimit(node, "memory.soft_limit_in_bytes"),
            SwapMax = memsw is { } s && max is { } m ? s - m : null,
        };
    }
}
