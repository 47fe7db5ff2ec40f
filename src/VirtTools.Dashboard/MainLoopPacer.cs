using Terminal.Gui.App;

namespace VirtTools.Dashboard;

/// <summary>
/// Paces Terminal.Gui's main loop without the thread pool: the loop's own pause between iterations
/// is switched off (<see cref="Application.MaximumIterationsPerSecond"/> so high that its pause is
/// zero) and each iteration instead begins by blocking here, in the application's Iteration event,
/// until input arrives, a timer or an Invoke is added, or <see cref="MaximumWait"/> passes.
/// </summary>
/// <remarks>
/// Terminal.Gui 2.5 pauses with <c>Task.Delay(..).Wait()</c>: every pause arms a timer on the .NET
/// timer thread, which hands the expiry to a thread-pool worker, which completes the task, wakes the
/// main thread and then spins looking for more work (the sched_yield calls in the profile). Here the
/// main thread sleeps in one futex wait and nothing else wakes. Keys are answered as soon as the input
/// thread queues them rather than at the next paced iteration; timers (the refresh) are run at most
/// <see cref="MaximumWait"/> late, as before.
/// </remarks>
internal sealed class MainLoopPacer : IDisposable
{
    /// <summary>The longest pause: how late a timer may run, and how soon a resize or a lone Esc is noticed.</summary>
    public static readonly TimeSpan MaximumWait = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Terminal.Gui pauses 1000 / MaximumIterationsPerSecond ms (integer division) less the time the
    /// iteration took: at this rate that is 0 ms, so it never pauses on its own.
    /// </summary>
    internal const ushort UnpacedIterationsPerSecond = ushort.MaxValue;

    // No spinning before the kernel wait: a spin is what this class is here to avoid.
    private readonly ManualResetEventSlim wake = new(false, spinCount: 0);
    private IApplication? app;

    /// <summary>How many pauses ended early because something woke the loop (tests look at it).</summary>
    public int EarlyWakeUps { get; private set; }

    /// <summary>Starts pacing <paramref name="application"/>'s main loop.</summary>
    public void Attach(IApplication application)
    {
        app = application;
        application.Iteration += OnIteration;
        application.TimedEvents!.Added += OnTimeoutAdded;
    }

    /// <summary>Ends the current pause, if any, and lets the next one end at once (input arrived, work queued).</summary>
    public void Wake() => wake.Set();

    /// <summary>The pause at the start of each iteration; true when something woke it before <see cref="MaximumWait"/>.</summary>
    internal bool Pause()
    {
        var woken = wake.Wait(MaximumWait);
        // Anything that signals from here on is handled by this iteration or wakes the next pause.
        wake.Reset();
        if (woken)
        {
            EarlyWakeUps++;
        }
        return woken;
    }

    /// <summary>Stops pacing; call before the application is disposed.</summary>
    public void Detach()
    {
        if (app is not null)
        {
            app.Iteration -= OnIteration;
            if (app.TimedEvents is { } timers)
            {
                timers.Added -= OnTimeoutAdded;
            }
            app = null;
        }
    }

    public void Dispose()
    {
        Detach();
        wake.Dispose();
    }

    private void OnIteration(object? sender, EventArgs<IApplication?> e) => Pause();

    // Application.Invoke queues its action as a zero timeout: the worker thread's result is shown at once.
    private void OnTimeoutAdded(object? sender, TimeoutEventArgs e) => Wake();
}
