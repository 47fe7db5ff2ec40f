using VirtTools.Cgroups;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Cgroups;

/// <summary>A memory hog in a 64 MB group is OOM-killed, and the API says so (counter and event).</summary>
public sealed class CgroupOomTests
{
    [SkippableFact]
    public async Task MemoryHogIn64MBGroupIsOomKilledAndReported()
    {
        Requires.Root();
        using var test = new TestGroup(new CgroupLimits { MemoryMax = 64L << 20 });
        var before = test.Group.ReadStats();
        Assert.Equal(0, before.OomKillCount);

        // tail keeps everything since the last newline, and /dev/zero has none: 300 MB to hold.
        var hog = test.Start("head -c 300000000 /dev/zero | tail");
        var e = await test.Group.WaitForEventAsync(CgroupEventKinds.OomKill, before, TimeSpan.FromSeconds(30));
        Assert.True(hog.WaitForExit(10_000));

        Assert.Equal(CgroupEventKinds.OomKill, e.Kind);
        Assert.True(e.Increase >= 1);
        var after = test.Group.ReadStats();
        Assert.True(after.OomKillCount >= 1);
        Assert.True(after.MemoryMaxHits > 0);
        Assert.InRange(after.MemoryPeak!.Value, 32L << 20, 64L << 20);
        Assert.NotEqual(0, hog.ExitCode);
        Assert.Equal(64L << 20, test.Group.ReadLimits().MemoryMax);
    }

    [SkippableFact]
    public async Task WaitForOomTimesOutWhenNothingHappens()
    {
        Requires.Root();
        using var test = new TestGroup(new CgroupLimits { MemoryMax = 64L << 20 });
        var error = await Assert.ThrowsAsync<VirtTools.Diagnostics.VirtToolsException>(
            () => test.Group.WaitForEventAsync(CgroupEventKinds.OomKill, timeout: TimeSpan.FromMilliseconds(200)));
        Assert.Equal("CgroupWaitTimeout", error.ErrorId);
    }
}
