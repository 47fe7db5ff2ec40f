using System.Globalization;
using System.Management.Automation;
using VirtTools.Cgroups;
using VirtTools.Diagnostics;

namespace VirtTools.PowerShell.Commands.Cgroups;

/// <summary>
/// The limit parameters of New-VirtCgroup and Set-VirtCgroup. Every one is nullable: a parameter not
/// passed stays null and its limit is left as it is.
/// </summary>
public abstract class CgroupLimitsCommandBase : CgroupCommandBase
{
    /// <summary>
    /// <para>Hard memory limit: a byte count or PowerShell literal (64MB), a string such as '1.5G' or '512M', or 'max' for no limit. Past it the kernel reclaims, then OOM-kills a process of the group.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("MemoryMax")]
    public object? Memory { get; set; }

    /// <summary>
    /// <para>Soft memory limit (v2 memory.high: throttled and reclaimed above it; v1 memory.soft_limit_in_bytes). Same forms as -Memory.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public object? MemoryHigh { get; set; }

    /// <summary>
    /// <para>Swap the group may use beyond -Memory. Same forms as -Memory. Ignored with a warning where the kernel does not account swap per cgroup.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public object? Swap { get; set; }

    /// <summary>
    /// <para>CPU bandwidth as a number of CPUs: 0.5 is half a CPU, 1.5 a quota of 150 ms per 100 ms period; at most this host's CPU count; 'max' removes the quota.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Cpus")]
    public object? Cpu { get; set; }

    /// <summary>
    /// <para>Relative CPU weight under contention, 1 to 10000; 100 is the default share.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? CpuWeight { get; set; }

    /// <summary>
    /// <para>CPUs the group may run on, as the kernel's list form: '0', '0-1', '0,2-3'.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? CpusetCpus { get; set; }

    /// <summary>
    /// <para>Maximum number of tasks (processes and threads) in the group, or 'max'. A fork beyond it fails with EAGAIN.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("PidsMax")]
    public object? Pids { get; set; }

    /// <summary>
    /// <para>Relative io weight, 1 to 10000 (100 default). Needs an io scheduler with weights (BFQ); ignored with a warning otherwise.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? IoWeight { get; set; }

    /// <summary>
    /// <para>Per-device caps, each as 'major:minor rbps=N wbps=N riops=N wiops=N' (any subset; N a size or 'max'; a /dev path works for the device) or a hashtable such as @{ Device = '/dev/vda'; WriteBps = 10MB }.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public IoDeviceLimit[]? IoMax { get; set; }

    /// <summary>The limits passed, parsed; throws InvalidCgroupSize, InvalidCgroupCpu or InvalidCgroupPids naming the bad value.</summary>
    protected CgroupLimits BuildLimits() => new()
    {
        MemoryMax = Memory is null ? null : CgroupSize.Parse(Memory, "memory limit"),
        MemoryHigh = MemoryHigh is null ? null : CgroupSize.Parse(MemoryHigh, "memory high limit"),
        SwapMax = Swap is null ? null : CgroupSize.Parse(Swap, "swap limit"),
        Cpus = Cpu is null ? null : ParseCpus(Cpu),
        CpuWeight = CpuWeight,
        CpusetCpus = CpusetCpus,
        PidsMax = Pids is null ? null : ParsePids(Pids),
        IoWeight = IoWeight,
        IoMax = IoMax,
    };

    private static double ParseCpus(object value)
    {
        var raw = value is PSObject ps ? ps.BaseObject : value;
        if (raw is string s && IsMax(s))
        {
            return CgroupLimits.UnlimitedCpus;
        }
        if (raw is IConvertible && raw is not string && raw is not bool)
        {
            return Convert.ToDouble(raw, CultureInfo.InvariantCulture);
        }
        if (raw is string text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var cpus))
        {
            return cpus;
        }
        throw new VirtToolsException("InvalidCgroupCpu", VirtErrorKind.InvalidArgument,
            $"Invalid CPU limit '{raw}': use a number of CPUs such as 0.5 or 1.5, or 'max'.", raw);
    }

    private static long ParsePids(object value)
    {
        var raw = value is PSObject ps ? ps.BaseObject : value;
        if (raw is string s && IsMax(s))
        {
            return CgroupLimits.Unlimited;
        }
        if (raw is int or long or short or uint or ushort or byte)
        {
            return Convert.ToInt64(raw, CultureInfo.InvariantCulture);
        }
        if (raw is string text && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pids))
        {
            return pids;
        }
        throw new VirtToolsException("InvalidCgroupPids", VirtErrorKind.InvalidArgument,
            $"Invalid pids limit '{raw}': use a whole count of at least 1, or 'max'.", raw);
    }

    private static bool IsMax(string s) =>
        s.Trim().Equals("max", StringComparison.OrdinalIgnoreCase) || s.Trim().Equals("unlimited", StringComparison.OrdinalIgnoreCase);
}
