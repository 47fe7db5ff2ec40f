using System.Diagnostics;

namespace VirtTools.Cgroups;

/// <summary>
/// Reads <see cref="CgroupStats"/> of one group. The file paths are resolved once, per layout, when the
/// reader is built; a reading is then one open/read/close per file (about 12 files on a hybrid host,
/// 10 on v2) and a single allocation for the result.
/// </summary>
internal sealed class CgroupStatsReader
{
    // v1 writes "no limit" as PAGE_COUNTER_MAX pages; anything this large is no limit.
    private const long V1Unlimited = 1L << 62;

    private readonly bool memoryV2, cpuAccountingV2, ioV2;
    private readonly byte[]? memoryCurrent, memoryPeak, memoryEvents, memoryFailCount, oomControl;
    private readonly byte[]? cpuUsage, cpuStat, pidsCurrent, pidsEvents, ioStat;
    private readonly byte[]? cpuPressure, memoryPressure, ioPressure;

    public CgroupStatsReader(CgroupPlacement at)
    {
        static byte[]? P(CgroupNode? node, string file) => node is null ? null : CgroupFile.PathBytes(node.File(file));

        memoryV2 = at.Memory?.IsV2 ?? false;
        memoryCurrent = P(at.Memory, memoryV2 ? "memory.current" : "memory.usage_in_bytes");
        memoryPeak = P(at.Memory, memoryV2 ? "memory.peak" : "memory.max_usage_in_bytes");
        memoryEvents = memoryV2 ? P(at.Memory, "memory.events") : null;
        memoryFailCount = memoryV2 ? null : P(at.Memory, "memory.failcnt");
        oomControl = memoryV2 ? null : P(at.Memory, "memory.oom_control");

        // v1 keeps usage in cpuacct and throttling in cpu; v2's cpu.stat has both.
        cpuAccountingV2 = at.CpuAccounting?.IsV2 ?? false;
        cpuUsage = cpuAccountingV2 ? null : P(at.CpuAccounting, "cpuacct.usage");
        cpuStat = P(at.Cpu ?? (cpuAccountingV2 ? at.CpuAccounting : null), "cpu.stat");

        pidsCurrent = P(at.Pids, "pids.current");
        pidsEvents = P(at.Pids, "pids.events");

        ioV2 = at.Io?.IsV2 ?? false;
        ioStat = P(at.Io, ioV2 ? "io.stat" : "blkio.throttle.io_service_bytes_recursive");

        cpuPressure = P(at.Unified, "cpu.pressure");
        memoryPressure = P(at.Unified, "memory.pressure");
        ioPressure = P(at.Unified, "io.pressure");
    }

    /// <summary>Reads every figure this layout has; <paramref name="readAny"/> is false when no file could be read (the group is gone).</summary>
    public CgroupStats Read(out bool readAny)
    {
        var any = false;
        long? memCurrent = null, memPeak = null, maxHits = null, highHits = null, oom = null, oomKill = null;
        if (CgroupFile.TryRead(memoryCurrent, out var c))
        {
            any = true;
            memCurrent = CgroupFile.Number(c);
        }
        if (CgroupFile.TryRead(memoryPeak, out c))
        {
            memPeak = CgroupFile.Number(c);
        }
        if (CgroupFile.TryRead(memoryEvents, out c))
        {
            maxHits = CgroupFile.Field(c, "max"u8);
            highHits = CgroupFile.Field(c, "high"u8);
            oom = CgroupFile.Field(c, "oom"u8);
            oomKill = CgroupFile.Field(c, "oom_kill"u8);
        }
        if (CgroupFile.TryRead(memoryFailCount, out c))
        {
            maxHits = CgroupFile.Number(c);
        }
        if (CgroupFile.TryRead(oomControl, out c))
        {
            oomKill = CgroupFile.Field(c, "oom_kill"u8);
        }

        TimeSpan? usage = null, throttledTime = null;
        long? throttled = null;
        if (CgroupFile.TryRead(cpuUsage, out c) && CgroupFile.Number(c) is { } ns)
        {
            any = true;
            usage = TimeSpan.FromTicks(ns / 100);
        }
        if (CgroupFile.TryRead(cpuStat, out c))
        {
            any = true;
            throttled = CgroupFile.Field(c, "nr_throttled"u8);
            if (cpuAccountingV2 && CgroupFile.Field(c, "usage_usec"u8) is { } us)
            {
                usage = TimeSpan.FromMicroseconds(us);
            }
            if (CgroupFile.Field(c, "throttled_usec"u8) is { } tus)
            {
                throttledTime = TimeSpan.FromMicroseconds(tus);
            }
            else if (CgroupFile.Field(c, "throttled_time"u8) is { } tns)
            {
                throttledTime = TimeSpan.FromTicks(tns / 100);
            }
        }

        long? pids = null, pidsHits = null;
        if (CgroupFile.TryRead(pidsCurrent, out c))
        {
            any = true;
            pids = CgroupFile.Number(c);
        }
        if (CgroupFile.TryRead(pidsEvents, out c))
        {
            pidsHits = CgroupFile.Field(c, "max"u8);
        }

        long? ioRead = null, ioWrite = null;
        if (CgroupFile.TryRead(ioStat, out c))
        {
            any = true;
            ioRead = ioV2 ? CgroupFile.SumKeyed(c, "rbytes="u8) : CgroupFile.SumBlkio(c, "Read"u8);
            ioWrite = ioV2 ? CgroupFile.SumKeyed(c, "wbytes="u8) : CgroupFile.SumBlkio(c, "Write"u8);
        }

        PressureStats? cpuPsi = null, memPsi = null, ioPsi = null;
        if (CgroupFile.TryRead(cpuPressure, out c))
        {
            any = true;
            cpuPsi = CgroupFile.Pressure(c);
        }
        if (CgroupFile.TryRead(memoryPressure, out c))
        {
            memPsi = CgroupFile.Pressure(c);
        }
        if (CgroupFile.TryRead(ioPressure, out c))
        {
            ioPsi = CgroupFile.Pressure(c);
        }

        readAny = any;
        return new CgroupStats
        {
            Timestamp = DateTime.UtcNow,
            MonotonicTicks = Stopwatch.GetTimestamp(),
            MemoryCurrent = memCurrent,
            MemoryPeak = memPeak is >= V1Unlimited ? null : memPeak,
            MemoryMaxHits = maxHits,
            MemoryHighHits = highHits,
            OomCount = oom,
            OomKillCount = oomKill,
            CpuUsage = usage,
            CpuThrottledCount = throttled,
            CpuThrottledTime = throttledTime,
            PidsCurrent = pids,
            PidsMaxHits = pidsHits,
            IoReadBytes = ioRead,
            IoWriteBytes = ioWrite,
            CpuPressure = cpuPsi,
            MemoryPressure = memPsi,
            IoPressure = ioPsi,
        };
    }
}
