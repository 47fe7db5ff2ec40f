using VirtTools.Cgroups;
using VirtTools.Diagnostics;

namespace VirtTools.Tests.Cgroups;

/// <summary>
/// The v2 paths, driven against a scratch directory laid out like cgroupfs v2 (file names and formats
/// of the kernel's cgroup-v2.rst). This host's cgroup2 mount has no controllers (it is hybrid), so the
/// real kernel cannot exercise memory.max, cpu.max, io.max or memory.events here. Unlike cgroupfs, a
/// scratch mkdir makes an empty directory: the manager's DirectoryCreated hook writes the files the
/// kernel would show.
/// </summary>
public sealed class CgroupV2ScratchTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("virttools-cgv2-").FullName;
    private readonly CgroupManager manager;

    public CgroupV2ScratchTests()
    {
        WriteFiles(root, Defaults());
        var hierarchy = new CgroupHierarchy(2, root, "/", ["cpuset", "cpu", "io", "memory", "pids"], "/", root, true, []);
        manager = new CgroupManager(new CgroupTopology(CgroupLayout.V2, [hierarchy])) { DirectoryCreated = node => WriteFiles(node.Directory, Defaults()) };
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static Dictionary<string, string> Defaults() => new()
    {
        ["cgroup.controllers"] = "cpuset cpu io memory pids\n",
        ["cgroup.subtree_control"] = "\n",
        ["cgroup.procs"] = "",
        ["memory.max"] = "max\n",
        ["memory.high"] = "max\n",
        ["memory.swap.max"] = "max\n",
        ["memory.current"] = "1048576\n",
        ["memory.peak"] = "2097152\n",
        ["memory.events"] = "low 0\nhigh 2\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n",
        ["cpu.max"] = "max 100000\n",
        ["cpu.weight"] = "100\n",
        ["cpu.stat"] = "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\nnr_periods 20\nnr_throttled 4\nthrottled_usec 250000\nnr_bursts 0\nburst_usec 0\n",
        ["cpuset.cpus"] = "\n",
        ["pids.max"] = "max\n",
        ["pids.current"] = "3\n",
        ["pids.events"] = "max 7\n",
        ["io.max"] = "",
        ["io.weight"] = "default 100\n",
        ["io.stat"] = "8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n",
        ["cpu.pressure"] = "some avg10=1.50 avg60=0.75 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
        ["memory.pressure"] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=10\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=5\n",
        ["io.pressure"] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
        ["cgroup.kill"] = "",
    };

    private static void WriteFiles(string directory, Dictionary<string, string> files)
    {
        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Join(directory, name), content);
        }
    }

    /// <summary>Changes a file in one step, as the kernel's counters change: a reader never sees it half written.</summary>
    private static void Replace(string path, string content)
    {
        File.WriteAllText(path + ".new", content);
        File.Move(path + ".new", path, overwrite: true);
    }

    private string Read(Cgroup group, string file) => File.ReadAllText(Path.Join(group.Placement.Primary!.Directory, file)).Trim();

    [Fact]
    public void OneDirectoryCarriesEveryResource()
    {
        var group = manager.Create("web");
        Assert.Equal(Path.Join(root, "virttools", "web"), Assert.Single(group.Directories));
        Assert.All(new[] { group.Placement.Memory, group.Placement.Cpu, group.Placement.Pids, group.Placement.Io, group.Placement.Unified }, n => Assert.True(n!.IsV2));
        // Controllers are handed down from the caller's group to virttools/ (cgroup.subtree_control).
        Assert.Equal("+pids", File.ReadAllText(Path.Join(root, "cgroup.subtree_control")));
    }

    [Fact]
    public void LimitsAreWrittenInV2Syntax()
    {
        var group = manager.Create("web", new CgroupLimits
        {
            MemoryMax = 64L << 20,
            MemoryHigh = 48L << 20,
            SwapMax = 0,
            Cpus = 1.5,
            CpuWeight = 200,
            CpusetCpus = "0",
            PidsMax = 32,
            IoWeight = 300,
            IoMax = [new IoDeviceLimit("8:0 rbps=1M wiops=100")],
        });
        Assert.Equal("67108864", Read(group, "memory.max"));
        Assert.Equal("50331648", Read(group, "memory.high"));
        Assert.Equal("0", Read(group, "memory.swap.max"));
        Assert.Equal("150000 100000", Read(group, "cpu.max"));
        Assert.Equal("200", Read(group, "cpu.weight"));
        Assert.Equal("0", Read(group, "cpuset.cpus"));
        Assert.Equal("32", Read(group, "pids.max"));
        Assert.Equal("default 300", Read(group, "io.weight"));
        Assert.Equal("8:0 rbps=1048576 wiops=100", Read(group, "io.max"));

        var limits = group.ReadLimits();
        Assert.Equal(64L << 20, limits.MemoryMax);
        Assert.Equal(1.5, limits.Cpus);
        Assert.Equal(200, limits.CpuWeight);
        Assert.Equal(32, limits.PidsMax);
        Assert.Equal(300, limits.IoWeight);
        Assert.Equal(1L << 20, Assert.Single(limits.IoMax!).ReadBps);
    }

    [Fact]
    public void UnlimitedIsWrittenAsMax()
    {
        var group = manager.Create("web", new CgroupLimits { MemoryMax = 1L << 30, Cpus = 1, PidsMax = 10 });
        group.SetLimits(new CgroupLimits { MemoryMax = CgroupLimits.Unlimited, Cpus = CgroupLimits.UnlimitedCpus, PidsMax = CgroupLimits.Unlimited });
        Assert.Equal("max", Read(group, "memory.max"));
        Assert.Equal("max 100000", Read(group, "cpu.max"));
        Assert.Equal("max", Read(group, "pids.max"));
        var limits = group.ReadLimits();
        Assert.Null(limits.MemoryMax);
        Assert.Null(limits.Cpus);
        Assert.Null(limits.PidsMax);
    }

    [Fact]
    public void StatsAreMappedFromV2Files()
    {
        var stats = manager.Create("web").ReadStats();
        Assert.Equal(1L << 20, stats.MemoryCurrent);
        Assert.Equal(2L << 20, stats.MemoryPeak);
        Assert.Equal(3, stats.MemoryMaxHits);
        Assert.Equal(2, stats.MemoryHighHits);
        Assert.Equal(1, stats.OomCount);
        Assert.Equal(1, stats.OomKillCount);
        Assert.Equal(TimeSpan.FromSeconds(1.5), stats.CpuUsage);
        Assert.Equal(4, stats.CpuThrottledCount);
        Assert.Equal(TimeSpan.FromMilliseconds(250), stats.CpuThrottledTime);
        Assert.Equal(3, stats.PidsCurrent);
        Assert.Equal(7, stats.PidsMaxHits);
        Assert.Equal(1010, stats.IoReadBytes);
        Assert.Equal(2020, stats.IoWriteBytes);
        Assert.Equal(1.5, stats.CpuPressure!.SomeAvg10);
        Assert.Equal(TimeSpan.FromMicroseconds(123456), stats.CpuPressure.SomeTotal);
        Assert.Equal(TimeSpan.FromMicroseconds(5), stats.MemoryPressure!.FullTotal);
    }

    [Fact]
    public void AReaderOfSomeFiguresReadsOnlyThose()
    {
        var group = manager.Create("web");
        using var reader = group.OpenStatsReader(CgroupFigures.Memory | CgroupFigures.Cpu | CgroupFigures.Pids);
        var stats = reader.Read(out var readAny);
        Assert.True(readAny);
        Assert.Equal(1L << 20, stats.MemoryCurrent);
        Assert.Equal(3, stats.MemoryMaxHits);
        Assert.Equal(TimeSpan.FromSeconds(1.5), stats.CpuUsage);
        Assert.Equal(4, stats.CpuThrottledCount);
        Assert.Equal(3, stats.PidsCurrent);
        Assert.Equal(7, stats.PidsMaxHits);
        // Not asked for: never opened, so null although the files are there.
        Assert.Null(stats.MemoryPeak);
        Assert.Null(stats.IoReadBytes);
        Assert.Null(stats.CpuPressure);
        Assert.Null(stats.MemoryPressure);
    }

    [Fact]
    public void MissingFileGivesNullNotZero()
    {
        var group = manager.Create("web");
        // memory.peak arrived in Linux 5.19; older kernels have no such file.
        File.Delete(Path.Join(group.Placement.Memory!.Directory, "memory.peak"));
        Assert.Null(group.ReadStats().MemoryPeak);
    }

    [Fact]
    public async Task OomKillInMemoryEventsIsObserved()
    {
        var group = manager.Create("web");
        var since = group.ReadStats();
        var wait = group.WaitForEventAsync(CgroupEventKinds.OomKill, since, TimeSpan.FromSeconds(10));
        await Task.Delay(60);
        Assert.False(wait.IsCompleted);
        Replace(Path.Join(group.Placement.Memory!.Directory, "memory.events"), "low 0\nhigh 2\nmax 5\noom 2\noom_kill 3\noom_group_kill 0\n");
        var e = await wait;
        Assert.Equal(CgroupEventKinds.OomKill, e.Kind);
        Assert.Equal(2, e.Increase);
        Assert.Equal(3, e.Stats.OomKillCount);
    }

    [Fact]
    public async Task PidsMaxInPidsEventsIsObserved()
    {
        var group = manager.Create("web");
        var wait = group.WaitForEventAsync(CgroupEventKinds.LimitHit, timeout: TimeSpan.FromSeconds(10));
        await Task.Delay(60);
        Replace(Path.Join(group.Placement.Pids!.Directory, "pids.events"), "max 8\n");
        var e = await wait;
        Assert.Equal(CgroupEventKinds.PidsMax, e.Kind);
        Assert.Equal(1, e.Increase);
    }

    [Fact]
    public void GroupWithProcessesIsBusy()
    {
        var group = manager.Create("web");
        File.WriteAllText(Path.Join(group.Placement.Primary!.Directory, "cgroup.procs"), "4242\n");
        Assert.Equal([4242], group.GetProcesses());
        var error = Assert.Throws<VirtToolsException>(() => group.Remove());
        Assert.Equal("CgroupBusy", error.ErrorId);
        Assert.True(group.Exists);
    }

    [Fact]
    public void BadValueWritesNothing()
    {
        var group = manager.Create("web", new CgroupLimits { MemoryMax = 64L << 20 });
        var error = Assert.Throws<VirtToolsException>(() => group.SetLimits(new CgroupLimits { MemoryMax = 1L << 30, PidsMax = 0 }));
        Assert.Equal("InvalidCgroupPids", error.ErrorId);
        Assert.Equal("67108864", Read(group, "memory.max"));
    }

    [Fact]
    public void ListFindsGroupsByWildcard()
    {
        manager.Create("web-1");
        manager.Create("web-2");
        manager.Create("db");
        Assert.Equal(["web-1", "web-2"], manager.List("web-*").Select(g => g.Name));
        Assert.Equal(3, manager.List().Count);
    }
}
