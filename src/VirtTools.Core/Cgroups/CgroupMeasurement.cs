namespace VirtTools.Cgroups;

/// <summary>
/// Usage of a group between two readings: CPU as a percentage of one CPU (150 = one and a half CPUs
/// busy), memory and pids at the end, and how much the event counters grew.
/// </summary>
public sealed record CgroupMeasurement(
    string Name,
    TimeSpan Interval,
    double? CpuPercent,
    TimeSpan? CpuTime,
    long? MemoryCurrent,
    long? MemoryPeak,
    long? PidsCurrent,
    long? CpuThrottled,
    long? OomKills,
    long? PidsMaxHits,
    long? IoReadBytes,
    long? IoWriteBytes)
{
    /// <summary>The measurement between <paramref name="before"/> and <paramref name="after"/> (readings of the same group).</summary>
    public static CgroupMeasurement Between(string name, CgroupStats before, CgroupStats after)
    {
        var interval = System.Diagnostics.Stopwatch.GetElapsedTime(before.MonotonicTicks, after.MonotonicTicks);
        TimeSpan? cpu = after.CpuUsage - before.CpuUsage;
        double? percent = cpu is { } c && interval > TimeSpan.Zero ? 100.0 * c.Ticks / interval.Ticks : null;
        return new CgroupMeasurement(
            name, interval, percent, cpu, after.MemoryCurrent, after.MemoryPeak, after.PidsCurrent,
            after.CpuThrottledCount - before.CpuThrottledCount,
            after.OomKillCount - before.OomKillCount,
            after.PidsMaxHits - before.PidsMaxHits,
            after.IoReadBytes - before.IoReadBytes,
            after.IoWriteBytes - before.IoWriteBytes);
    }
}
