using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Terminal.Gui.Drivers;

namespace VirtTools.Dashboard;

/// <summary>
/// Terminal.Gui's ANSI input (raw mode, escape-sequence reading) driven by a thread that sleeps in
/// poll(2) on stdin until a key arrives, instead of Terminal.Gui 2.5's loop of Peek and
/// <c>Task.Delay(20).Wait()</c>.
/// </summary>
/// <remarks>
/// That loop runs on a thread-pool thread, so each of its 50 waits a second spins first (sched_yield)
/// and then tells the pool a worker blocked; the pool wakes further workers, which find no work and
/// spin in turn. Profiled on an idle dashboard (docs/dashboard.md), that was most of its CPU time.
/// A thread blocked in a system call is invisible to the pool and costs nothing until input comes.
/// </remarks>
internal sealed partial class PollingFreeAnsiInput : IInput<char>
{
    /// <summary>How long one poll(2) may sleep before the thread looks at its cancellation token (quit latency).</summary>
    private const int WaitMilliseconds = 100;

    private const short PollIn = 0x001;
    private const int StdinFd = 0;

    private readonly AnsiInput inner = new();
    private ConcurrentQueue<char>? queue;

    public CancellationTokenSource? ExternalCancellationTokenSource { get; set; }

    public void Initialize(ConcurrentQueue<char> inputQueue)
    {
        queue = inputQueue;
        inner.Initialize(inputQueue);
    }

    public void Run(CancellationToken runCancellationToken)
    {
        if (queue is null)
        {
            throw new InvalidOperationException("Initialize must be called before Run.");
        }
        using var linked = ExternalCancellationTokenSource is { } external
            ? CancellationTokenSource.CreateLinkedTokenSource(runCancellationToken, external.Token)
            : null;
        var token = linked?.Token ?? runCancellationToken;
        while (!token.IsCancellationRequested)
        {
            if (!WaitForInput(WaitMilliseconds))
            {
                continue;
            }
            var read = 0;
            foreach (var c in inner.Read())
            {
                queue.Enqueue(c);
                read++;
            }
            if (read == 0)
            {
                // News but nothing read (a hang-up, end of file, or not a raw terminal): do not spin.
                Thread.Sleep(WaitMilliseconds);
            }
        }
    }

    public void Dispose() => inner.Dispose();

    /// <summary>
    /// True when stdin has news within <paramref name="milliseconds"/>: input, or a hang-up or error
    /// (which the read then finds empty); false on timeout or EINTR.
    /// </summary>
    private static unsafe bool WaitForInput(int milliseconds)
    {
        var fd = new PollFd { Fd = StdinFd, Events = PollIn };
        return poll(&fd, 1, milliseconds) > 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int poll(PollFd* fds, nuint count, int timeout);
}
