using Tmds.Linux;

namespace VirtTools.Isolation;

/// <summary>
/// A pidfd (pidfd_open(2)) on one process, kept open so that whether it has exited is a poll(2)
/// away: the kernel makes a pidfd readable when its process exits (a zombie counts as exited), and
/// one poll answers for any number of them (<see cref="Exited"/>). Cheaper than reading
/// /proc/PID/stat each time, which is what <see cref="ProcessIdentity.IsAlive"/> does.
/// </summary>
public sealed class ProcessExitWatch : IDisposable
{
    /// <summary>pidfd_open on x86_64 and arm64 alike (Linux 5.3); Tmds.LibC has no wrapper.</summary>
    private const int SysPidfdOpen = 434;

    private const short PollIn = 0x1;

    private int fd;

    private ProcessExitWatch(int fd) => this.fd = fd;

    ~ProcessExitWatch() => Close();

    /// <summary>
    /// A watch on <paramref name="process"/>, or null when it is not alive or the kernel has no
    /// pidfd_open (callers then fall back to <see cref="ProcessIdentity.IsAlive"/>).
    /// </summary>
    public static ProcessExitWatch? Open(ProcessIdentity process)
    {
        if (process.Pid <= 0)
        {
            return null;
        }
        var fd = (int)LibC.syscall(SysPidfdOpen, process.Pid, 0);
        if (fd < 0)
        {
            return null;
        }
        // The pid may have been recycled before pidfd_open: the start time, read after the fd is
        // held, says whether the fd is on the process we mean. If the process dies after this
        // check, the fd turns readable, which is the answer we want.
        if (!process.IsAlive)
        {
            LibC.close(fd);
            return null;
        }
        return new ProcessExitWatch(fd);
    }

    /// <summary>
    /// For each watch, whether its process has exited, with one poll(2) of zero timeout. A closed
    /// watch counts as exited.
    /// </summary>
    public static unsafe bool[] Exited(IReadOnlyList<ProcessExitWatch> watches)
    {
        var exited = new bool[watches.Count];
        if (watches.Count == 0)
        {
            return exited;
        }
        var fds = new pollfd[watches.Count];
        for (var i = 0; i < watches.Count; i++)
        {
            fds[i].fd = watches[i].fd;   // a closed watch (-1) is ignored by poll and reported below
            fds[i].events = PollIn;
        }
        fixed (pollfd* p = fds)
        {
            int ready;
            do
            {
                ready = LibC.poll(p, (uint)fds.Length, 0);
            }
            while (ready < 0 && LibC.errno == Diagnostics.Errno.EINTR);
            if (ready < 0)
            {
                // poll itself failed (ENOMEM): say every process exited, so callers look again the slow way.
                Array.Fill(exited, true);
                return exited;
            }
        }
        for (var i = 0; i < watches.Count; i++)
        {
            // POLLIN: exited; POLLERR/POLLHUP/POLLNVAL: no longer a usable pidfd, treat as exited.
            exited[i] = watches[i].fd < 0 || fds[i].revents != 0;
        }
        return exited;
    }

    public void Dispose()
    {
        Close();
        GC.SuppressFinalize(this);
    }

    private void Close()
    {
        var open = Interlocked.Exchange(ref fd, -1);
        if (open >= 0)
        {
            LibC.close(open);
        }
    }
}
