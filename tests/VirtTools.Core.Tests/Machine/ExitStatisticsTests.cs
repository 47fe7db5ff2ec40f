using VirtTools.Accelerators;
using VirtTools.Machine;

namespace VirtTools.Tests.Machine;

public sealed class ExitStatisticsTests
{
    [Fact]
    public void HasASlotForEveryExitReason()
    {
        Assert.Equal(ExitStatistics.ReasonCount, Enum.GetValues<VcpuExitReason>().Length);
        Assert.Equal((VcpuExitReason)(ExitStatistics.ReasonCount - 1), Enum.GetValues<VcpuExitReason>().Max());
    }

    [Fact]
    public void CountsEachReasonAndSnapshotsTheSeenOnesByName()
    {
        var exits = new ExitStatistics();
        exits.Count(VcpuExitReason.PortIo);
        exits.Count(VcpuExitReason.PortIo);
        exits.Count(VcpuExitReason.Unknown);
        Assert.Equal(2, exits[VcpuExitReason.PortIo]);
        Assert.Equal(3, exits.Total);
        Assert.Equal(new Dictionary<string, long> { ["PortIo"] = 2, ["Unknown"] = 1 }, exits.Snapshot());
    }
}
