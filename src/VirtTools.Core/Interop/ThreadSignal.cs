using System.Runtime.InteropServices;
using VirtTools.Diagnostics;

namespace VirtTools.Interop;

/// <summary>
/// Kicks one thread out of a blocking system call (KVM_RUN) with a signal that the thread keeps
/// blocked, so no handler ever runs and no other thread is disturbed. The blocked thread unblocks the
/// signal only inside KVM_RUN (KVM_SET_SIGNAL_MASK): delivery there makes KVM_RUN return EINTR, and the
/// signal stays pending until <see cref="Drain"/> consumes it. This is QEMU's kvm_eat_signals scheme.
/// </summary>
internal static unsafe partial class ThreadSignal
{
    /// <summary>SIGRTMIN+6 in glibc numbering: real-time, unused by glibc (32, 33) and by .NET (SIGRTMIN).</summary>
    public const int Kick = 40;

    private const int SIG_BLOCK = 0;

    /// <summary>Blocks <see cref="Kick"/> on the calling thread; returns the thread's mask from before (kernel sigset, 64 bits).</summary>
    public static ulong BlockOnCurrentThread()
    {
        var set = stackalloc ulong[16];
        var old = stackalloc ulong[16];
        set[0] = 1UL << (Kick - 1);
        var rc = pthread_sigmask(SIG_BLOCK, set, old);
        if (rc != 0)
        {
            throw Errno.Failure("pthread_sigmask", rc, "SignalMaskFailed");
        }
        return old[0];
    }

    public static nuint CurrentThread() => pthread_self();

    /// <summary>Sends <see cref="Kick"/> to <paramref name="thread"/>; false if it has exited.</summary>
    public static bool Send(nuint thread) => pthread_kill(thread, Kick) == 0;

    /// <summary>Consumes every pending <see cref="Kick"/> on the calling thread without waiting.</summary>
    public static void Drain()
    {
        var set = stackalloc ulong[16];
        set[0] = 1UL << (Kick - 1);
        var zero = stackalloc long[2];
        while (sigtimedwait(set, null, zero) == Kick)
        {
        }
    }

    [LibraryImport("libc")]
    private static partial int pthread_sigmask(int how, ulong* set, ulong* oldSet);

    [LibraryImport("libc")]
    private static partial nuint pthread_self();

    [LibraryImport("libc")]
    private static partial int pthread_kill(nuint thread, int signal);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sigtimedwait(ulong* set, void* info, long* timeout);
}
