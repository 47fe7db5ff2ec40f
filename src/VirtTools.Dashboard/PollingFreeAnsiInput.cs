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
/// A thread blocked in a system call is invisible to the pool and costs nothing until input comes; an
/// eventfd in the same poll wakes it when the application stops.
/// </remarks>
internal sealed partial class PollingFreeAnsiInput : IInput<char>
{
    /// <summary>How long to back off when stdin reports news but yields nothing (hang-up, not a raw terminal).</summary>
    private const int BackOffMilliseconds = 100;

    private const short PollIn = 0x001;
    private const int StdinFd = 0;
    private const int EfdCloexec = 0x80000;

    private readonly AnsiInput inner = new();
    private readonly Action? inputArrived;
    private ConcurrentQueue<char>? queue;

    /// <param name="inputArrived">Called on the input thread after keys are queued (wakes the paced main loop).</param>
    public PollingFreeAnsiInput(Action? inputArrived = null) => this.inputArrived = inputArrived;

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
        // Quitting must wake the poll at once: Terminal.Gui waits for this thread before it restores
        // the terminal and flushes its input, and keys typed at the returning prompt must not be lost.
        var wake = eventfd(0, EfdCloexec);
        if (wake < 0)
        {
            throw new InvalidOperationException($"eventfd: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            using var registration = token.Register(() => Signal(wake));
            Pump(token, wake);
        }
        finally
        {
            close(wake);
        }
    }

    private void Pump(CancellationToken token, int wake)
    {
        while (!token.IsCancellationRequested)
        {
            if (!WaitForInput(wake))
            {
                continue;
            }
            var read = 0;
            foreach (var c in inner.Read())
            {
                queue!.Enqueue(c);
                read++;
            }
            if (read == 0)
            {
                // News but nothing read (a hang-up, end of file, or not a raw terminal): do not spin.
                Thread.Sleep(BackOffMilliseconds);
            }
            else
            {
                inputArrived?.Invoke();
            }
        }
    }

    public void Dispose() => inner.Dispose();

    /// <summary>
    /// Sleeps until stdin has news (input, or a hang-up or error, which the read then finds empty) or
    /// <paramref name="wake"/> is signalled; true for stdin, false for the wake-up or EINTR.
    /// </summary>
    private static unsafe bool WaitForInput(int wake)
    {
        var fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = StdinFd, Events = PollIn };
        fds[1] = new PollFd { Fd = wake, Events = PollIn };
        return poll(fds, 2, -1) > 0 && fds[0].Revents != 0;
    }

    private static unsafe void Signal(int wake)
    {
        ulong one = 1;
        _ = write(wake, &one, sizeof(ulong));
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

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint write(int fd, void* buffer, nuint count);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
