using Terminal.Gui.App;
using Terminal.Gui.Drivers;

namespace VirtTools.Dashboard.Tests;

/// <summary>The pause at the start of each main-loop iteration: ended by a key, by queued work, or by its limit.</summary>
public class MainLoopPacerTests
{
    [Fact]
    public void A_pause_with_nothing_to_do_runs_to_its_limit()
    {
        using var pacer = new MainLoopPacer();
        Assert.False(pacer.Pause());
        Assert.Equal(0, pacer.EarlyWakeUps);
    }

    [Fact]
    public void Input_that_arrived_before_the_pause_ends_it_at_once_and_only_once()
    {
        using var pacer = new MainLoopPacer();
        pacer.Wake();
        Assert.True(pacer.Pause());
        Assert.False(pacer.Pause());
    }

    [Fact]
    public async Task A_wake_from_the_input_thread_ends_a_pause_in_progress()
    {
        using var pacer = new MainLoopPacer();
        using var started = new ManualResetEventSlim();
        var pause = Task.Run(() =>
        {
            started.Set();
            var woken = false;
            // The wake may come before this thread is in the wait; either way the pause ends early.
            while (!woken)
            {
                woken = pacer.Pause();
            }
            return woken;
        });
        started.Wait();
        pacer.Wake();
        // A generous bound only so that a broken wake fails instead of hanging the run.
        Assert.True(await pause.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Work_queued_with_Invoke_wakes_the_loop_and_each_iteration_begins_with_a_pause()
    {
        using var app = Application.Create();
        app.Init(DriverRegistry.Names.ANSI);
        using var pacer = new MainLoopPacer();
        pacer.Attach(app);

        app.Invoke(() => { });
        app.RaiseIteration();
        Assert.Equal(1, pacer.EarlyWakeUps);

        pacer.Detach();
        app.Invoke(() => { });
        app.RaiseIteration();
        Assert.Equal(1, pacer.EarlyWakeUps);
    }
}
