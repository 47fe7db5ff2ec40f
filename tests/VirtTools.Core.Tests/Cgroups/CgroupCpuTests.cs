using VirtTools.Cgroups;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Cgroups;

/// <summary>A busy loop limited to 0.5 CPU uses 0.5 CPU (within 15%), measured from the group's own usage.</summary>
public sealed class CgroupCpuTests
{
    [SkippableFact]
    public void BusyLoopLimitedToHalfACpuUsesHalfACpu()
    {
        Requires.Root();
        using var test = new TestGroup(new CgroupLimits { Cpus = 0.5, CpuWeight = 10000 });
        Assert.Equal(0.5, test.Group.ReadLimits().Cpus);

        // Two spinning shells want two CPUs. On a busy host the group competes with every other task
        // as one scheduler entity per level, so virttools/ and the group get the highest weight for the
        // test: then the quota, not the host's load, decides what the group gets.
        var parent = test.Manager.Parents.Cpu!;
        var weightFile = parent.File(parent.IsV2 ? "cpu.weight" : "cpu.shares");
        var oldWeight = File.ReadAllText(weightFile).Trim();
        File.WriteAllText(weightFile, parent.IsV2 ? "10000" : "262144");
        CgroupStats before, after;
        try
        {
            test.Start("while :; do :; done & while :; do :; done");
            Thread.Sleep(300);
            before = test.Group.ReadStats();
            Thread.Sleep(2000);
            after = test.Group.ReadStats();
        }
        finally
        {
            File.WriteAllText(weightFile, oldWeight);
        }

        var m = CgroupMeasurement.Between(test.Name, before, after);
        var cpus = m.CpuPercent!.Value / 100;
        Assert.InRange(cpus, 0.5 * 0.85, 0.5 * 1.15);
        Assert.True(m.CpuThrottled > 0, "the quota throttled the group");
        Assert.True(after.CpuThrottledTime > before.CpuThrottledTime);
    }
}
