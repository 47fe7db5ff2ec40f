using VirtTools.Accelerators;

namespace VirtTools.Machine;

/// <summary>Counts of vCPU exits by reason; written by the vCPU thread, read from anywhere.</summary>
public sealed class ExitStatistics
{
    /// <summary>
    /// One slot per reason, sized from the last member rather than Enum.GetValues: every machine
    /// build makes one, and in the native VMM that reflection cost tens of microseconds of a cold
    /// start (ExitStatisticsTests holds the two equal).
    /// </summary>
    internal const int ReasonCount = (int)VcpuExitReason.Unknown + 1;

    private readonly long[] counts = new long[ReasonCount];

    public void Count(VcpuExitReason reason) => Interlocked.Increment(ref counts[(int)reason]);

    public long this[VcpuExitReason reason] => Interlocked.Read(ref counts[(int)reason]);

    public long Total => counts.Sum(c => Interlocked.Read(ref c));

    /// <summary>Reasons seen at least once, by name (what Get-VirtMachine and Invoke-VirtMachine show).</summary>
    public IReadOnlyDictionary<string, long> Snapshot() =>
        Enum.GetValues<VcpuExitReason>().Where(r => this[r] > 0).ToDictionary(r => r.ToString(), r => this[r]);
}
