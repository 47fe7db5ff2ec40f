using VirtTools.Monitoring;

namespace VirtTools.Tests.Monitoring;

public class MonitorSamplerTests
{
    private readonly FakeMonitorSource containers = new(MonitoredKind.Container);
    private readonly FakeMonitorSource cgroups = new(MonitoredKind.Cgroup);

    private MonitorSampler NewSampler(int history = 4) => new([containers, cgroups], hostCpus: 4, historyLength: history);

    [Fact]
    public void Rates_come_from_two_readings_against_the_host_and_the_quota()
    {
        var sampler = NewSampler();
        containers.Set("web", cpuSeconds: 10, memory: 256 << 20, memoryLimit: 1 << 30, quota: 0.5, pids: 3);
        var first = sampler.Refresh().Items.Single();
        Assert.Null(first.CpuPercent);
        Assert.Equal(25.0, first.MemoryPercent);

        containers.Tick();
        containers.Set("web", cpuSeconds: 10.4, memory: 512 << 20, memoryLimit: 1 << 30, quota: 0.5, pids: 3);
        var second = sampler.Refresh().Items.Single();
        // 0.4 CPU-seconds in 1 s: 10 % of 4 host CPUs, 80 % of a half-CPU quota.
        Assert.Equal(10.0, second.CpuPercent!.Value, 6);
        Assert.Equal(80.0, second.CpuQuotaPercent!.Value, 6);
        Assert.Equal(50.0, second.MemoryPercent);
        Assert.Equal(3, second.Pids);
        Assert.InRange(second.Uptime!.Value, TimeSpan.FromMinutes(4.9), TimeSpan.FromMinutes(5.1));
    }

    [Fact]
    public void Counters_that_grow_become_events_and_history_is_bounded()
    {
        var sampler = NewSampler(history: 3);
        containers.Set("web", oomKills: 0);
        sampler.Refresh();
        for (var i = 1; i <= 5; i++)
        {
            containers.Tick();
            containers.Set("web", oomKills: i == 5 ? 2 : 0, cpuSeconds: i);
            sampler.Refresh();
        }
        var events = sampler.EventsOf(MonitoredKind.Container, "web");
        Assert.Single(events, e => e.Event == MonitorEventKind.OomKill && e.Message.Contains("2 process"));
        var item = sampler.Current.Items.Single();
        Assert.Equal(3, item.CpuHistory.Count);
        Assert.All(item.CpuHistory, v => Assert.Equal(25.0, v, 6));
    }

    [Fact]
    public void Items_appearing_ending_and_vanishing_are_reported_once()
    {
        var sampler = NewSampler();
        containers.Set("web");
        sampler.Refresh();
        Assert.Empty(sampler.RecentEvents);   // the first refresh sees everything as already there

        cgroups.Set("batch");
        containers.Set("web", state: "Exited", running: false);
        containers.Tick();
        var snapshot = sampler.Refresh();
        Assert.Contains(snapshot.Events, e => e.Name == "batch" && e.Event == MonitorEventKind.Appeared);
        Assert.Contains(snapshot.Events, e => e.Name == "web" && e.Event == MonitorEventKind.Exited);

        containers.Drop("web");
        snapshot = sampler.Refresh();
        Assert.Equal(["batch"], snapshot.Items.Select(i => i.Name));
        Assert.Single(snapshot.Events, e => e.Name == "web" && e.Event == MonitorEventKind.Disappeared);
        Assert.Empty(sampler.Refresh().Events);
    }

    [Fact]
    public void The_same_name_in_two_kinds_is_two_items()
    {
        var sampler = NewSampler();
        containers.Set("x");
        cgroups.Set("x");
        var keys = sampler.Refresh().Items.Select(i => i.Key).ToList();
        Assert.Equal(["Container/x", "Cgroup/x"], keys);
    }

    [Fact]
    public void Actions_go_to_the_owning_source_and_are_recorded()
    {
        var sampler = NewSampler();
        sampler.Perform(MonitoredKind.Cgroup, "batch", ItemActions.Remove);
        Assert.Equal([("batch", ItemActions.Remove)], cgroups.Performed);
        Assert.Empty(containers.Performed);
        Assert.Contains(sampler.RecentEvents, e => e.Event == MonitorEventKind.Action && e.Name == "batch");
        var missing = Assert.Throws<VirtTools.Diagnostics.VirtToolsException>(() => sampler.Perform(MonitoredKind.Machine, "m", ItemActions.Stop));
        Assert.Equal("MonitorSourceMissing", missing.ErrorId);
    }

    [Fact]
    public void Text_tail_keeps_the_last_lines()
    {
        Assert.Equal(["b", "c"], TextTail.Last("a\nb\r\nc\n", 2));
        Assert.Equal(["only"], TextTail.Last("only", 5));
        Assert.Empty(TextTail.Last("", 5));
    }
}
