using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Terminal.Gui.Time;
using VirtTools.Monitoring;
using VirtTools.Tests.Monitoring;

namespace VirtTools.Dashboard.Tests;

/// <summary>
/// A dashboard window on Terminal.Gui's ANSI driver with a virtual clock and injected keys: no
/// terminal, no real time. Sources are fakes the test drives; disposing ends the session and the app.
/// </summary>
internal sealed class DashboardHarness : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly SessionToken? session;

    public DashboardHarness(bool readOnly = false, int width = 150, int height = 40)
    {
        App = Application.Create(Time);
        App.Init(DriverRegistry.Names.ANSI);
        App.Driver!.SetScreenSize(width, height);
        Sampler = new MonitorSampler([Containers, Machines, Cgroups], hostCpus: 2);
        Window = new DashboardWindow(Sampler, new DashboardOptions { Interval = Interval, ReadOnly = readOnly }) { Prompts = Prompts };
        session = App.Begin(Window);
    }

    public VirtualTimeProvider Time { get; } = new();

    public IApplication App { get; }

    public MonitorSampler Sampler { get; }

    public DashboardWindow Window { get; }

    public FakeMonitorSource Containers { get; } = new(MonitoredKind.Container);

    public FakeMonitorSource Machines { get; } = new(MonitoredKind.Machine);

    public FakeMonitorSource Cgroups { get; } = new(MonitoredKind.Cgroup);

    public FakePrompts Prompts { get; } = new();

    /// <summary>What the terminal would show now.</summary>
    public string Screen
    {
        get
        {
            App.LayoutAndDraw(true);
            return App.Driver!.ToString() ?? "";
        }
    }

    /// <summary>The screen's table lines that name an item, top to bottom.</summary>
    public IReadOnlyList<string> RowsOf(params string[] names) =>
        Screen.Split('\n').Where(l => names.Any(n => l.Contains($"│{n} ", StringComparison.Ordinal) || l.Contains($"│{n}│", StringComparison.Ordinal))).ToList();

    public void Start()
    {
        Window.Start(App);
        App.LayoutAndDraw(true);
    }

    /// <summary>Lets one refresh interval pass on the virtual clock (the fake sources' clocks too) and runs the due timers.</summary>
    public void NextRefresh()
    {
        Containers.Tick();
        Machines.Tick();
        Cgroups.Tick();
        Time.Advance(Interval);
        App.TimedEvents!.RunTimers();
        App.LayoutAndDraw(true);
    }

    /// <summary>As <see cref="NextRefresh"/>, but draws nothing, so a test can see what the refresh marked for drawing.</summary>
    public void NextRefreshUndrawn()
    {
        Containers.Tick();
        Machines.Tick();
        Cgroups.Tick();
        Time.Advance(Interval);
        App.TimedEvents!.RunTimers();
    }

    public void Press(params Key[] keys)
    {
        foreach (var key in keys)
        {
            App.InjectKey(key);
        }
        App.LayoutAndDraw(true);
    }

    public void Type(string text)
    {
        foreach (var c in text)
        {
            App.InjectKey(new Key(c));
        }
        App.LayoutAndDraw(true);
    }

    public void Dispose()
    {
        if (session is not null)
        {
            App.End(session);
        }
        Window.Dispose();
        App.Dispose();
    }
}
