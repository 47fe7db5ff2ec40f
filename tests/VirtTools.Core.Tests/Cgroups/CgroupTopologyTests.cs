using VirtTools.Cgroups;

namespace VirtTools.Tests.Cgroups;

public sealed class CgroupTopologyTests
{
    private static readonly string[] hybridMounts =
    [
        "30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755",
        "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw",
        "32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd",
        "33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory",
        "34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct",
    ];

    [Fact]
    public void HybridHostHasV1ControllersAndAUnifiedMount()
    {
        var topology = CgroupTopology.Build(MountInfo.Parse(hybridMounts), ["4:memory:/user/a", "3:cpu,cpuacct:/", "1:name=systemd:/", "0::/user/a"]);
        Assert.Equal(CgroupLayout.Hybrid, topology.Layout);
        Assert.Equal("/sys/fs/cgroup/memory/user/a", topology.For("memory")!.Directory);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", topology.For("cpuacct")!.Directory);
        Assert.Equal(["cpu", "cpuacct"], topology.For("cpu")!.Controllers);
        Assert.Equal("/sys/fs/cgroup/unified", topology.Unified!.MountPoint);
        Assert.Equal("/user/a", topology.Unified.ProcessPath);
    }

    [Fact]
    public void PureV2HostIsV2()
    {
        var topology = CgroupTopology.Build(MountInfo.Parse(["30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate"]), ["0::/user.slice"]);
        Assert.Equal(CgroupLayout.V2, topology.Layout);
        Assert.Equal("/sys/fs/cgroup/user.slice", topology.Unified!.Directory);
    }

    [Fact]
    public void PureV1HostIsV1()
    {
        var topology = CgroupTopology.Build(MountInfo.Parse(hybridMounts.Where(l => !l.Contains("cgroup2"))), ["4:memory:/"]);
        Assert.Equal(CgroupLayout.V1, topology.Layout);
        Assert.Null(topology.Unified);
    }

    [Fact]
    public void AMountShowingASubtreeResolvesRelativeToIt()
    {
        // Inside a cgroup namespace or a container, the mount root is our own group.
        var topology = CgroupTopology.Build(MountInfo.Parse(["33 30 0:29 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory"]), ["4:memory:/docker/abc/inner"]);
        Assert.Equal("/sys/fs/cgroup/memory/inner", topology.For("memory")!.Directory);
    }

    [Fact]
    public void ThisHostMatchesTheKernelTables()
    {
        var topology = CgroupTopology.Read();
        var mounts = File.ReadAllLines("/proc/self/mountinfo");
        var hasV1 = mounts.Any(l => l.Contains(" - cgroup "));
        var hasV2 = mounts.Any(l => l.Contains(" - cgroup2 "));
        var expected = (hasV1, hasV2) switch
        {
            (true, true) => CgroupLayout.Hybrid,
            (true, false) => CgroupLayout.V1,
            (false, true) => CgroupLayout.V2,
            _ => CgroupLayout.None,
        };
        Assert.Equal(expected, topology.Layout);
        foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            var controller = parts[1].Split(',')[0];
            var hierarchy = parts[0] == "0" ? topology.Unified : topology.Hierarchies.FirstOrDefault(h => h.Controllers.Contains(controller));
            Assert.NotNull(hierarchy);
            Assert.Equal(parts[2], hierarchy!.ProcessPath);
            Assert.True(Directory.Exists(hierarchy.Directory), hierarchy.Directory);
        }
    }
}
