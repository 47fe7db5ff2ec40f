using System.Diagnostics;

namespace VirtTools.Cgroups;

/// <summary>
/// Reads <see cref="CgroupStats"/> of one group. The file paths are resolved once, per layout, when the
/// reader is built. A reader from <see cref="Cgroup.OpenStatsReader"/> keeps the control files open and
/// re-reads each with a single pread(2), the cheapest way to sample many groups every second (the
/// dashboard's case); dispose it to close them. <see cref="Cgroup.ReadStats"/> uses a reader that
/// opens and closes each file, so it holds nothing. Either way a reading allocates only its result.
/// Not thread-safe: one reader per sampling thread.
/// </summary>
public sealed class CgroupStatsReader : IDisposable
{
    // v1 writes "no limit" as PAGE_COUNTER_MAX pages; anything this large is no limit.
    private const long V1Unlimited = 1L << 62;

    private const int MemoryCurrent = 0, MemoryPeak = 1, MemoryEvents = 2, MemoryFailCount = 3, OomControl = 4,
        CpuUsage = 5, CpuStat = 6, PidsCurrent = 7, PidsEvents = 8, IoStat = 9,
        CpuPressure = 10, MemoryPressure = 11, IoPressure = 12, Count = 13;

    private readonly bool cpuAccountingV2, ioV2;
    private readonly byte[]?[] paths = new byte[]?[Count];
    private readonly int[]? fds;

    internal CgroupStatsReader(CgroupPlacement at, bool keepOpen, CgroupFigures figures = CgroupFigures.All)
    {
        // A figure not asked for has no path, so it is never opened nor read, and stays null.
        byte[]? P(CgroupNode? node, string file) => node is null || !figures.HasFlag(FigureOf(file)) ? null : CgroupFile.PathBytes(node.File(file));

        var memoryV2 = at.Memory?.IsV2 ?? false;
        paths[MemoryCurrent] = P(at.Memory, memoryV2 ? "memory.current" : "memory.usage_in_bytes");
        paths[MemoryPeak] = P(at.Memory, memoryV2 ? "memory.peak" : "memory.max_usage_in_bytes");
        paths[MemoryEvents] = memoryV2 ? P(at.Memory, "memory.events") : null;
        paths[MemoryFailCount] = memoryV2 ? null : P(at.Memory, "memory.failcnt");
        paths[OomControl] = memoryV2 ? null : P(at.Memory, "memory.oom_control");

        // v1 keeps usage in cpuacct and throttling in cpu; v2's cpu.stat has both.
        cpuAccountingV2 = at.CpuAccounting?.IsV2 ?? false;
        paths[CpuUsage] = cpuAccountingV2 ? null : P(at.CpuAccounting, "cpuacct.usage");
        paths[CpuStat] = P(at.Cpu ?? (cpuAccountingV2 ? at.CpuAccounting : null), "cpu.stat");

        paths[PidsCurrent] = P(at.Pids, "pids.current");
        paths[PidsEvents] = P(at.Pids, "pids.events");

        ioV2 = at.Io?.IsV2 ?? false;
        paths[IoStat] = P(at.Io, ioV2 ? "io.stat" : "blkio.throttle.io_service_bytes_recursive");

        paths[CpuPressure] = P(at.Unified, "cpu.pressure");
        paths[MemoryPressure] = P(at.Unified, "memory.pressure");
        paths[IoPressure] = P(at.Unified, "io.pressure");

        if (keepOpen)
        {
            fds = new int[Count];
            Array.Fill(fds, -1);
        }
    }

    ~CgroupStatsReader() => CloseAll();

    /// <summary>The figure a control file serves.</summary>
    private static CgroupFigures FigureOf(string file) => file switch
    {
        "memory.peak" or "memory.max_usage_in_bytes" => CgroupFigures.MemoryPeak,
        "cpu.pressure" or "memory.pressure" or "io.pressure" => CgroupFigures.Pressure,
        _ when file.StartsWith("memory.", StringComparison.Ordinal) => CgroupFigures.Memory,
        _ when file.StartsWith("cpu", StringComparison.Ordinal) => CgroupFigures.Cpu,
        _ when file.StartsWith("pids.", StringComparison.Ordinal) => CgroupFigures.Pids,
        _ => CgroupFigures.Io,
    };

    /// <summary>Reads every figure this layout has; a figure whose file cannot be read is null.</summary>
    public CgroupStats Read() => Read(out _);

    /// <summary>As <see cref="Read()"/>; <paramref name="readAny"/> is false when no file could be read (the group is gone).</summary>
    public CgroupStats Read(out bool readAny)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var any = false;
        long? memCurrent = null, memPeak = null, maxHits = null, highHits = null, oom = null, oomKill = null;
        if (TryRead(MemoryCurrent, out var c))
        {
            any = true;
            memCurrent = CgroupFile.Number(c);
        }
        if (TryRead(MemoryPeak, out c))
        {
            memPeak = CgroupFile.Number(c);
        }
        if (TryRead(MemoryEvents, out c))
        {
            maxHits = CgroupFile.Field(c, "max"u8);
            highHits = CgroupFile.Field(c, "high"u8);
            oom = CgroupFile.Field(c, "oom"u8);
            oomKill = CgroupFile.Field(c, "oom_kill"u8);
        }
        if (TryRead(MemoryFailCount, out c))
        {
            maxHits = CgroupFile.Number(c);
        }
        if (TryRead(OomControl, out c))
        {
            oomKill = CgroupFile.Field(c, "oom_kill"u8);
        }

        TimeSpan? usage = null, throttledTime = null;
        long? throttled = null;
        if (TryRead(CpuUsage, out c) && CgroupFile.Number(c) is { } ns)
        {
            any = true;
            usage = TimeSpan.FromTicks(ns / 100);
        }
        if (TryRead(CpuStat, out c))
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
        if (TryRead(PidsCurrent, out c))
        {
            any = true;
            pids = CgroupFile.Number(c);
        }
        if (TryRead(PidsEvents, out c))
        {
            pidsHits = CgroupFile.Field(c, "max"u8);
        }

        long? ioRead = null, ioWrite = null;
        if (TryRead(IoStat, out c))
        {
            any = true;
            ioRead = ioV2 ? CgroupFile.SumKeyed(c, "rbytes="u8) : CgroupFile.SumBlkio(c, "Read"u8);
            ioWrite = ioV2 ? CgroupFile.SumKeyed(c, "wbytes="u8) : CgroupFile.SumBlkio(c, "Write"u8);
        }

        PressureStats? cpuPsi = null, memPsi = null, ioPsi = null;
        if (TryRead(CpuPressure, out c))
        {
            any = true;
            cpuPsi = CgroupFile.Pressure(c);
        }
        if (TryRead(MemoryPressure, out c))
        {
            memPsi = CgroupFile.Pressure(c);
        }
        if (TryRead(IoPressure, out c))
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

    private bool TryRead(int slot, out ReadOnlySpan<byte> content)
    {
        if (fds is null)
        {
            return CgroupFile.TryRead(paths[slot], out content);
        }
        content = default;
        if (paths[slot] is not { } path)
        {
            return false;
        }
        if (fds[slot] < 0 && (fds[slot] = CgroupFile.OpenRead(path)) < 0)
        {
            return false;
        }
        if (CgroupFile.TryReread(fds[slot], out content))
        {
            return true;
        }
        // The group was removed (ENODEV): drop the descriptor, so a group made again under the same
        // name is found by the next reading.
        CgroupFile.Close(fds[slot]);
        fds[slot] = -1;
        return false;
    }

    private bool disposed;

    public void Dispose()
    {
        disposed = true;
        CloseAll();
        GC.SuppressFinalize(this);
    }

    private void CloseAll()
    {
        if (fds is null)
        {
            return;
        }
        for (var i = 0; i < fds.Length; i++)
        {
            if (fds[i] >= 0)
            {
                CgroupFile.Close(fds[i]);
                fds[i] = -1;
            }
        }
    }
}
