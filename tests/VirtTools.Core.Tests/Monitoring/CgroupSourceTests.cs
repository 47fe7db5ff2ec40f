using VirtTools.Cgroups;
using VirtTools.Monitoring;
using VirtTools.Tests.Cgroups;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Monitoring;

/// <summary>The cgroup source against real groups: a busy loop, a memory limit, and the kill action.</summary>
public class CgroupSourceTests
{
    [SkippableFact]
    public void A_busy_group_shows_cpu_memory_pids_and_its_limits()
    {
        Requires.Root();
        using var group = new TestGroup(new CgroupLimits { MemoryMax = 64 << 20, PidsMax = 20, Cpus = 0.5 });
        // About 4 MB of shell variable, charged to the group, then a spin.
        group.Start("x=$(head -c 4000000 /dev/zero | tr '\\0' a); while :; do :; done");
        var sampler = new MonitorSampler([new CgroupSource(group.Manager)]);
        sampler.Refresh();
        Thread.Sleep(1000);
        var item = sampler.Refresh().Items.Single(i => i.Name == group.Name);

        Assert.Equal(MonitoredKind.Cgroup, item.Kind);
        Assert.True(item.IsRunning);
        Assert.Equal(64L << 20, item.MemoryLimit);
        Assert.Equal(20, item.PidsLimit);
        Assert.Equal(0.5, item.CpuQuota);
        Assert.InRange(item.Pids!.Value, 1, 20);
        Assert.InRange(item.MemoryBytes!.Value, 2L << 20, 64L << 20);
        // A spinning shell under a half-CPU quota uses some of it and never much more (the host is
        // shared, so how much it gets is not fixed); whether it was throttled depends on that too.
        Assert.InRange(item.CpuQuotaPercent!.Value, 5, 110);
        Assert.Equal(item.CpuQuotaPercent!.Value * 0.5 / Environment.ProcessorCount, item.CpuPercent!.Value, 6);
        Assert.NotNull(item.ThrottledPeriods);
        Assert.NotNull(item.ThrottledPercent);
        Assert.Contains(item.Details, d => d.Key == "Memory max" && d.Value == "64M");
    }

    [SkippableFact]
    public void Kill_empties_the_group_and_a_removed_group_disappears()
    {
        Requires.Root();
        using var group = new TestGroup();
        group.Start("sleep 60");
        var source = new CgroupSource(group.Manager);
        var sampler = new MonitorSampler([source]);
        Assert.True(sampler.Refresh().Items.Single(i => i.Name == group.Name).IsRunning);

        sampler.Perform(MonitoredKind.Cgroup, group.Name, ItemActions.Kill);
        // pids.current drops when the killed child is reaped, which .NET does on its own SIGCHLD thread.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        MonitorSample item;
        while ((item = sampler.Refresh().Items.Single(i => i.Name == group.Name)).IsRunning && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }
        Assert.False(item.IsRunning);
        Assert.Equal("Empty", item.State);

        sampler.Perform(MonitoredKind.Cgroup, group.Name, ItemActions.Remove);
        var snapshot = sampler.Refresh();
        Assert.DoesNotContain(snapshot.Items, i => i.Name == group.Name);
        Assert.Contains(snapshot.Events, e => e.Name == group.Name && e.Event == MonitorEventKind.Disappeared);
    }

    [SkippableFact]
    public void Groups_another_item_owns_are_left_to_it()
    {
        Requires.Root();
        using var group = new TestGroup();
        var source = new CgroupSource(group.Manager) { IsOwned = d => d == group.Group.Placement.Primary!.Directory };
        var readings = new List<ItemReading>();
        source.Read(readings);
        Assert.DoesNotContain(readings, r => r.Name == group.Name);
    }
}
