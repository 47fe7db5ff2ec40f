using VirtTools.Monitoring;

namespace VirtTools.Dashboard.Tests;

public class RenderProbeTests
{
    [Fact]
    public void Renders()
    {
        var source = new FakeSource(MonitoredKind.Container);
        source.Set("web", memory: 10 << 20, memoryLimit: 64 << 20);
        var text = DashboardApp.RenderText(new MonitorSampler([source], hostCpus: 2), 120, 30);
        File.WriteAllText("/tmp/render.txt", text);
        Assert.Contains("web", text);
    }
}
