using Microsoft.Win32.SafeHandles;
using Tmds.Linux;
using VirtTools.Diagnostics;

namespace VirtTools.Interop;

/// <summary>An owned Linux file descriptor, closed exactly once (also when a finalizer has to do it).</summary>
public sealed class FileDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    public FileDescriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

    /// <summary>The raw descriptor number for ioctl and friends.</summary>
    public int Fd => (int)handle;

    /// <summary>Opens <paramref name="path"/> with O_CLOEXEC added, or throws naming the path and errno.</summary>
    public static unsafe FileDescriptor Open(string path, int flags, string errorId)
    {
        var fd = TryOpen(path, flags, out var errno);
        return fd ?? throw Errno.Failure($"open '{path}'", errno, errorId, path);
    }

    /// <summary>Opens <paramref name="path"/>; null and the errno when it fails.</summary>
    public static unsafe FileDescriptor? TryOpen(string path, int flags, out int errno)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            var fd = LibC.open(p, flags | LibC.O_CLOEXEC, 0);
            errno = fd < 0 ? Errno.Last : 0;
            return fd < 0 ? null : new FileDescriptor(fd);
        }
    }

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
