using VirtTools.Accelerators;

namespace VirtTools.Machine;

/// <summary>Counts of vCPU exits by reason; written by the vCPU thread, read from anywhere.</summary>
public sealed class ExitStatistics
{
    private readonly long[] counts = new long[Enum.GetValues<VcpuExitReason>().Length];

    public void Count(VcpuExitReason reason) => Interlocked.Increment(ref counts[(int)reason]);

    public long this[VcpuExitReason reason] => Interlocked.Read(ref counts[(int)reason]);

    public long Total => counts.Sum(c => Interlocked.Read(ref c));

    /// <summary>Reasons seen at least once, by name (what Get-VirtMachine and Invoke-VirtMachine show).</summary>
    public IReadOnlyDictionary<string, long> Snapshot() =>
        Enum.GetValues<VcpuExitReason>().Where(r => this[r] > 0).ToDictionary(r => r.ToString(), r => this[r]);
}
