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
