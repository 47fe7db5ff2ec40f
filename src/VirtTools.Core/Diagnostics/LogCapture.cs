using System.Collections.Concurrent;

namespace VirtTools.Diagnostics;

/// <summary>
/// Collects the log events raised while it is current, on any thread, for one consumer (a cmdlet) to
/// drain on its own thread. "Current" flows with the ExecutionContext, so work started with Task.Run
/// inside the capture is captured too, and two runspaces running side by side never see each
/// other's events.
/// </summary>
public sealed class LogCapture : IDisposable
{
    private static readonly AsyncLocal<LogCapture?> current = new();
    private readonly ConcurrentQueue<LogRecord> pending = new();
    private readonly SemaphoreSlim signal = new(0);
    private readonly LogCapture? previous;
    private bool disposed;

    private LogCapture()
    {
        previous = current.Value;
        current.Value = this;
    }

    /// <summary>The capture events are routed to on this logical flow, if any.</summary>
    internal static LogCapture? Current => current.Value;

    /// <summary>Starts capturing on this logical flow until disposed.</summary>
    public static LogCapture Begin() => new();

    internal void Add(LogRecord record)
    {
        if (disposed)
        {
            return;
        }
        pending.Enqueue(record);
        signal.Release();
    }

    /// <summary>Takes every event captured so far, oldest first.</summary>
    public IEnumerable<LogRecord> Drain()
    {
        while (pending.TryDequeue(out var record))
        {
            yield return record;
        }
    }

    /// <summary>
    /// Waits for <paramref name="task"/> while handing every event to <paramref name="onRecord"/> on
    /// the calling thread as it arrives; returns once the task is done and the queue is empty.
    /// </summary>
    public void Pump(Task task, Action<LogRecord> onRecord)
    {
        // The task's completion wakes the wait too, so a finished task costs no polling delay.
        task.ContinueWith(_ => signal.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        while (!task.IsCompleted)
        {
            signal.Wait();
            foreach (var record in Drain())
            {
                onRecord(record);
            }
        }
        foreach (var record in Drain())
        {
            onRecord(record);
        }
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        if (current.Value == this)
        {
            current.Value = previous;
        }
    }
}
