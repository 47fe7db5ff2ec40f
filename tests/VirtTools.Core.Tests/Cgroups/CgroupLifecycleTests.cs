using VirtTools.Cgroups;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Cgroups;

/// <summary>Placement relative to the caller's own cgroup, membership in every hierarchy, and cleanup.</summary>
public sealed class CgroupLifecycleTests
{
    [SkippableFact]
    public void GroupIsPlacedUnderTheCallersCgroupInEveryHierarchy()
    {
        Requires.Root();
        using var test = new TestGroup();
        var topology = CgroupTopology.Read();
        foreach (var node in test.Group.Placement.Nodes)
        {
            var hierarchy = topology.Hierarchies.Single(h => node.Directory.StartsWith(h.MountPoint + "/", StringComparison.Ordinal));
            Assert.Equal(Path.Join(hierarchy.Directory, "virttools", test.Name), node.Directory);
            Assert.True(Directory.Exists(node.Directory), node.Directory);
        }
        Assert.NotNull(test.Group.Placement.Memory);
    }

    [SkippableFact]
    public void AddedProcessIsMemberInEveryHierarchy()
    {
        Requires.Root();
        using var test = new TestGroup();
        var sleeper = test.Start("exec sleep 30");
        Assert.Equal([sleeper.Id], test.Group.GetProcesses());
        var membership = File.ReadAllLines($"/proc/{sleeper.Id}/cgroup");
        var memoryLine = membership.Single(l => l.Split(':')[1].Split(',').Contains("memory"));
        Assert.EndsWith("/virttools/" + test.Name, memoryLine);
        Assert.Equal(1, test.Group.ReadStats().PidsCurrent);
    }

    [SkippableFact]
    public void KeptOpenReaderSeesChangesAndSurvivesRemoval()
    {
        Requires.Root();
        using var test = new TestGroup();
        using var reader = test.Group.OpenStatsReader();
        Assert.Equal(0, reader.Read().PidsCurrent);
        var sleeper = test.Start("exec sleep 30");
        Assert.Equal(1, reader.Read().PidsCurrent);

        test.Group.Remove(force: true);
        Assert.True(sleeper.WaitForExit(5000));
        var gone = reader.Read(out var readAny);
        Assert.False(readAny);
        Assert.Null(gone.PidsCurrent);
        Assert.Null(gone.MemoryCurrent);
    }

    [SkippableFact]
    public void ListMatchesWildcards()
    {
        Requires.Root();
        using var a = new TestGroup();
        using var b = new TestGroup();
        var names = a.Manager.List("xt-*").Select(g => g.Name).ToList();
        Assert.Contains(a.Name, names);
        Assert.Contains(b.Name, names);
        Assert.Equal([a.Name], a.Manager.List(a.Name.ToUpperInvariant()).Select(g => g.Name));
    }

    [SkippableFact]
    public void TwoHundredCreateLimitRemoveCyclesLeaveNoDirectory()
    {
        Requires.Root();
        var manager = CgroupManager.ForCurrentProcess();
        var prefix = TestGroup.NewName();
        var directories = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var group = manager.Create($"{prefix}-{i}", new CgroupLimits { MemoryMax = 64L << 20, PidsMax = 16 });
            group.SetLimits(new CgroupLimits { Cpus = 0.5, CpuWeight = 50, MemoryHigh = 32L << 20 });
            directories.AddRange(group.Directories);
            group.Remove();
        }
        Assert.Equal(200 * manager.Parents.Nodes.Count, directories.Count);
        Assert.All(directories, d => Assert.False(Directory.Exists(d), d));
        foreach (var parent in manager.Parents.Nodes)
        {
            Assert.DoesNotContain(Directory.GetDirectories(parent.Directory), d => Path.GetFileName(d).StartsWith(prefix, StringComparison.Ordinal));
        }
    }

    [SkippableFact]
    public void SetLimitsWritesOnlyWhatWasPassed()
    {
        Requires.Root();
        using var test = new TestGroup(new CgroupLimits { MemoryMax = 128L << 20, Cpus = 1.5, PidsMax = 64, CpuWeight = 200, CpusetCpus = "0" });
        test.Group.SetLimits(new CgroupLimits { MemoryMax = 256L << 20 });
        var limits = test.Group.ReadLimits();
        Assert.Equal(256L << 20, limits.MemoryMax);
        Assert.Equal(1.5, limits.Cpus);
        Assert.Equal(64, limits.PidsMax);
        Assert.Equal(200, limits.CpuWeight);
        Assert.Equal("0", limits.CpusetCpus);

        test.Group.SetLimits(new CgroupLimits { MemoryMax = CgroupLimits.Unlimited, Cpus = CgroupLimits.UnlimitedCpus, PidsMax = CgroupLimits.Unlimited });
        limits = test.Group.ReadLimits();
        Assert.Null(limits.MemoryMax);
        Assert.Null(limits.Cpus);
        Assert.Null(limits.PidsMax);
    }

    [SkippableFact]
    public void SwapAllowanceSurvivesARaisedMemoryLimit()
    {
        Requires.Root();
        using var test = new TestGroup(new CgroupLimits { MemoryMax = 64L << 20, SwapMax = 32L << 20 });
        var memory = test.Group.Placement.Memory!;
        Skip.If(!File.Exists(memory.File(memory.IsV2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes")), "this kernel does not account swap per cgroup");
        Assert.Equal(32L << 20, test.Group.ReadLimits().SwapMax);

        // On v1 memory+swap (96 MB) is below the new memory limit: the writer has to lift it first.
        test.Group.SetLimits(new CgroupLimits { MemoryMax = 128L << 20 });
        var limits = test.Group.ReadLimits();
        Assert.Equal(128L << 20, limits.MemoryMax);
        Assert.Equal(32L << 20, limits.SwapMax);
    }

    [SkippableFact]
    public void IoLimitsReachTheBlockDevice()
    {
        Requires.Root();
        var device = Directory.GetDirectories("/sys/class/block").Select(Path.GetFileName)
            .FirstOrDefault(d => d is not null && !d.StartsWith("loop", StringComparison.Ordinal) && File.Exists($"/sys/class/block/{d}/dev"));
        Skip.If(device is null, "no block device on this host");
        using var test = new TestGroup(new CgroupLimits
        {
            IoMax = [new IoDeviceLimit { Device = "/dev/" + device, ReadBps = 10L << 20, WriteIops = 100 }],
            IoWeight = 300,
        });
        var majorMinor = File.ReadAllText($"/sys/class/block/{device}/dev").Trim();
        var limit = Assert.Single(test.Group.ReadLimits().IoMax!);
        Assert.Equal(majorMinor, limit.Device);
        Assert.Equal(10L << 20, limit.ReadBps);
        Assert.Equal(100, limit.WriteIops);
        Assert.Null(limit.WriteBps);

        // A weight needs BFQ's files; without them the writer warns and the weight reads back as unset.
        var io = test.Group.Placement.Io!;
        var weighted = new[] { "io.weight", "io.bfq.weight", "blkio.weight", "blkio.bfq.weight" }.Any(f => File.Exists(io.File(f)));
        Assert.Equal(weighted ? 300 : null, test.Group.ReadLimits().IoWeight);
    }

    [SkippableFact]
    public async Task EmptyEventFiresWhenTheLastProcessExits()
    {
        Requires.Root();
        using var test = new TestGroup();
        test.Start("sleep 0.3");
        var e = await test.Group.WaitForEventAsync(CgroupEventKinds.Empty, timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(CgroupEventKinds.Empty, e.Kind);
        Assert.Empty(test.Group.GetProcesses());
    }
}
