using System.Globalization;
using System.Text.RegularExpressions;
using VirtTools.Diagnostics;

namespace VirtTools.Cgroups;

/// <summary>
/// Limits of one group. As input to <see cref="Cgroup.SetLimits"/> a null property means "leave as it is"
/// and <see cref="Unlimited"/> (or <see cref="UnlimitedCpus"/>) removes a limit; as read back by
/// <see cref="Cgroup.ReadLimits"/> a null property means "no limit set" (or the layout has no such knob).
/// </summary>
public sealed record CgroupLimits
{
    /// <summary>The value that removes a byte or count limit ("max" in cgroupfs).</summary>
    public const long Unlimited = long.MaxValue;

    /// <summary>The value of <see cref="Cpus"/> that removes the CPU quota.</summary>
    public const double UnlimitedCpus = double.PositiveInfinity;

    /// <summary>CFS period used for <see cref="Cpus"/>: 100 ms, the kernel's default.</summary>
    public const long CpuPeriodMicroseconds = 100_000;

    /// <summary>Hard memory limit in bytes (v2 memory.max, v1 memory.limit_in_bytes). Past it the group is reclaimed, then OOM-killed.</summary>
    public long? MemoryMax { get; init; }

    /// <summary>Soft limit in bytes: v2 memory.high (throttle and reclaim above it), v1 memory.soft_limit_in_bytes (reclaimed first under host pressure).</summary>
    public long? MemoryHigh { get; init; }

    /// <summary>Swap allowed beyond <see cref="MemoryMax"/>, in bytes (v2 memory.swap.max, v1 memory.memsw.limit_in_bytes minus the memory limit). Ignored with a warning without swap accounting.</summary>
    public long? SwapMax { get; init; }

    /// <summary>CPU bandwidth as a number of CPUs: 1.5 is a quota of 150 ms per 100 ms period (v2 cpu.max, v1 cpu.cfs_quota_us).</summary>
    public double? Cpus { get; init; }

    /// <summary>Relative CPU weight, 1..10000, default 100 (v2 cpu.weight; v1 cpu.shares = weight * 1024 / 100).</summary>
    public int? CpuWeight { get; init; }

    /// <summary>CPUs the group may run on, in the kernel's list form "0-1,3" (cpuset.cpus).</summary>
    public string? CpusetCpus { get; init; }

    /// <summary>Maximum number of tasks (processes and threads) in the group (pids.max).</summary>
    public long? PidsMax { get; init; }

    /// <summary>Relative io weight, 1..10000, default 100 (v2 io.weight; v1 blkio.weight or blkio.bfq.weight, scaled). Ignored with a warning where the io scheduler has no weights.</summary>
    public int? IoWeight { get; init; }

    /// <summary>Per-device bandwidth and IOPS caps (v2 io.max, v1 blkio.throttle.*_device).</summary>
    public IReadOnlyList<IoDeviceLimit>? IoMax { get; init; }

    /// <summary>True when no property is set.</summary>
    public bool IsEmpty =>
        MemoryMax is null && MemoryHigh is null && SwapMax is null && Cpus is null && CpuWeight is null
        && CpusetCpus is null && PidsMax is null && IoWeight is null && (IoMax is null || IoMax.Count == 0);

    /// <summary>The properties of <paramref name="other"/> that are set, over these.</summary>
    public CgroupLimits Merge(CgroupLimits other) => new()
    {
        MemoryMax = other.MemoryMax ?? MemoryMax,
        MemoryHigh = other.MemoryHigh ?? MemoryHigh,
        SwapMax = other.SwapMax ?? SwapMax,
        Cpus = other.Cpus ?? Cpus,
        CpuWeight = other.CpuWeight ?? CpuWeight,
        CpusetCpus = other.CpusetCpus ?? CpusetCpus,
        PidsMax = other.PidsMax ?? PidsMax,
        IoWeight = other.IoWeight ?? IoWeight,
        IoMax = other.IoMax ?? IoMax,
    };

    /// <summary>
    /// Checks every value before anything is written, so a bad value changes nothing. Throws
    /// <see cref="VirtToolsException"/> with ids InvalidCgroupSize, InvalidCgroupCpu, InvalidCgroupWeight,
    /// InvalidCgroupCpuset or InvalidCgroupPids.
    /// </summary>
    public void Validate(int hostCpus)
    {
        NotNegative(MemoryMax, "memory limit");
        NotNegative(MemoryHigh, "memory high limit");
        NotNegative(SwapMax, "swap limit");
        if (Cpus is { } cpus && !double.IsPositiveInfinity(cpus))
        {
            // The kernel refuses quotas under 1 ms; more CPUs than the host has is a typo, not a limit.
            if (double.IsNaN(cpus) || cpus < 0.01 || cpus > hostCpus)
            {
                throw new VirtToolsException("InvalidCgroupCpu", VirtErrorKind.InvalidArgument,
                    $"Invalid CPU limit '{cpus.ToString(CultureInfo.InvariantCulture)}': use a number of CPUs from 0.01 to {hostCpus} (this host's count), e.g. 0.5 or 1.5, or 'max'.", cpus);
            }
        }
        Weight(CpuWeight, "CPU weight");
        Weight(IoWeight, "io weight");
        if (PidsMax is { } pids && pids < 1)
        {
            throw new VirtToolsException("InvalidCgroupPids", VirtErrorKind.InvalidArgument,
                $"Invalid pids limit '{pids}': use a count of at least 1, or 'max'.", pids);
        }
        if (CpusetCpus is { } set)
        {
            ValidateCpuset(set, hostCpus);
        }
        foreach (var device in IoMax ?? [])
        {
            NotNegative(device.ReadBps, "io read bps");
            NotNegative(device.WriteBps, "io write bps");
            NotNegative(device.ReadIops, "io read iops");
            NotNegative(device.WriteIops, "io write iops");
            device.ResolveDevice();
        }
    }

    private static readonly Regex cpuList = new(@"^\d+(-\d+)?(,\d+(-\d+)?)*$", RegexOptions.CultureInvariant);

    private static void ValidateCpuset(string set, int hostCpus)
    {
        var ok = cpuList.IsMatch(set);
        if (ok)
        {
            foreach (var range in set.Split(','))
            {
                var ends = range.Split('-');
                var low = int.Parse(ends[0], CultureInfo.InvariantCulture);
                var high = ends.Length == 2 ? int.Parse(ends[1], CultureInfo.InvariantCulture) : low;
                ok &= low <= high && high < hostCpus;
            }
        }
        if (!ok)
        {
            throw new VirtToolsException("InvalidCgroupCpuset", VirtErrorKind.InvalidArgument,
                $"Invalid cpuset '{set}': use CPU numbers from 0 to {hostCpus - 1} as a list of ranges, e.g. '0', '0-1' or '0,2-3'.", set);
        }
    }

    private static void NotNegative(long? value, string what)
    {
        if (value is < 0)
        {
            throw new VirtToolsException("InvalidCgroupSize", VirtErrorKind.InvalidArgument,
                $"Invalid {what} '{value}' (negative): use {CgroupSize.AcceptedForms}.", value);
        }
    }

    private static void Weight(int? value, string what)
    {
        if (value is < 1 or > 10000)
        {
            throw new VirtToolsException("InvalidCgroupWeight", VirtErrorKind.InvalidArgument,
                $"Invalid {what} '{value}': use 1 to 10000 (100 is the default share).", value);
        }
    }
}
