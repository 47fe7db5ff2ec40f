using System.Runtime.ExceptionServices;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using VirtTools.Diagnostics;
using VirtTools.Monitoring;

namespace VirtTools.Dashboard;

/// <summary>Entry points: the interactive dashboard, and one off-screen frame as text.</summary>
public static class DashboardApp
{
    /// <summary>
    /// Runs the dashboard on this terminal until the user quits. The terminal is restored on every way
    /// out (Terminal.Gui's Dispose), and an error inside the UI is rethrown only after that. The
    /// driver is ANSI with an input thread that sleeps until a key arrives (<see cref="QuietAnsiDriver"/>),
    /// and the main loop sleeps between iterations until a key, a timer or <see cref="MainLoopPacer.MaximumWait"/>.
    /// </summary>
    public static void Run(MonitorSampler sampler, DashboardOptions options)
    {
        Exception? failure = null;
        using var pacer = new MainLoopPacer();
        var (app, quiet) = QuietAnsiDriver.CreateApplication(pacer.Wake);
        if (!quiet)
        {
            VirtLog.For(nameof(DashboardApp)).Warning("Terminal.Gui's component factory could not be replaced: the dashboard polls its input (more CPU while idle)");
        }
        // Terminal.Gui's own pause between iterations goes through the timer thread and the thread
        // pool; the pacer pauses instead (MainLoopPacer). Without the quiet input nothing would wake
        // the pacer on a key, so the stock pacing stays, at 10 iterations a second (keys within 100 ms).
        var iterations = Application.MaximumIterationsPerSecond;
        Application.MaximumIterationsPerSecond = quiet ? MainLoopPacer.UnpacedIterationsPerSecond : (ushort)10;
        try
        {
            app.Init();
            if (quiet)
            {
                pacer.Attach(app);
            }
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
            pacer.Detach();
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
