using VirtTools.Cgroups;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Cgroups;

/// <summary>A fork loop in a group with pids.max 32 is refused at the limit, and the refusals are counted.</summary>
public sealed class CgroupPidsTests
{
    [SkippableFact]
    public async Task ForkLoopIsRefusedAtPidsMaxAndTheEventIsCounted()
    {
        Requires.Root();
        using var test = new TestGroup(new CgroupLimits { PidsMax = 32 });
        var before = test.Group.ReadStats();
        Assert.Equal(0, before.PidsMaxHits);

        test.Start("i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done; wait");
        var e = await test.Group.WaitForEventAsync(CgroupEventKinds.PidsMax, before, TimeSpan.FromSeconds(20));

        Assert.Equal(CgroupEventKinds.PidsMax, e.Kind);
        var after = test.Group.ReadStats();
        Assert.True(after.PidsMaxHits >= 1);
        Assert.InRange(after.PidsCurrent!.Value, 1, 32);
        Assert.Equal(32, test.Group.ReadLimits().PidsMax);

        // A group full of sleepers still forking is removed with force: every task killed, every directory gone.
        Assert.True(test.Group.Kill() > 1);
        Assert.Empty(test.Group.GetProcesses());
        test.Group.Remove();
        Assert.All(test.Group.Directories, d => Assert.False(Directory.Exists(d), d));
    }
}
