using System.Runtime.ExceptionServices;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using VirtTools.Diagnostics;
using VirtTools.Monitoring;

namespace VirtTools.Dashboard;

/// <summary>Entry points: the interactive dashboard, and one off-screen frame as text.</summary>
public static class DashboardApp
{
    /// <summary>Main-loop iterations a second while the dashboard runs (Terminal.Gui's default is 25).</summary>
    internal const ushort IterationsPerSecond = 10;

    /// <summary>
    /// Runs the dashboard on this terminal until the user quits. The terminal is restored on every way
    /// out (Terminal.Gui's Dispose), and an error inside the UI is rethrown only after that. The
    /// driver is ANSI with an input thread that sleeps until a key arrives (<see cref="QuietAnsiDriver"/>).
    /// </summary>
    public static void Run(MonitorSampler sampler, DashboardOptions options)
    {
        Exception? failure = null;
        var (app, quiet) = QuietAnsiDriver.CreateApplication();
        if (!quiet)
        {
            VirtLog.For(nameof(DashboardApp)).Warning("Terminal.Gui's component factory could not be replaced: the dashboard polls its input (more CPU while idle)");
        }
        // Terminal.Gui's main loop sleeps 1/MaximumIterationsPerSecond between iterations whether or not
        // anything happened, and each sleep wakes the timer thread and a thread-pool worker as well; a
        // dashboard that changes once per interval needs no 25 frames a second. 10 keeps keys prompt.
        var iterations = Application.MaximumIterationsPerSecond;
        Application.MaximumIterationsPerSecond = IterationsPerSecond;
        try
        {
            app.Init();
            using var window = new DashboardWindow(sampler, options);
            window.Start(app);
            app.Run(window, e =>
            {
                failure = e;
                return false;
            });
        }
        finally
        {
            app.Dispose();
            Application.MaximumIterationsPerSecond = iterations;
        }
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>
    /// Draws the dashboard once into an off-screen buffer of <paramref name="width"/> x <paramref name="height"/>
    /// cells and returns it as lines of text (no terminal needed; what Show-VirtDashboard -Once -AsText prints).
    /// </summary>
    public static string RenderText(MonitorSampler sampler, int width, int height)
    {
        using var app = Application.Create();
        app.Init(DriverRegistry.Names.ANSI);
        app.Driver!.SetScreenSize(width, height);
        using var window = new DashboardWindow(sampler, new DashboardOptions { ReadOnly = true });
        var session = app.Begin(window);
        try
        {
            window.Start(app);
            app.LayoutAndDraw(true);
            return app.Driver.ToString() ?? "";
        }
        finally
        {
            if (session is not null)
            {
                app.End(session);
            }
        }
    }
}
