using System.Runtime.InteropServices;
using Tmds.Linux;

namespace VirtTools.Diagnostics;

/// <summary>Reads errno after a failed libc call and turns it into a message or an exception.</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, ENOMEM = 12,
        EACCES = 13, EBUSY = 16, EEXIST = 17, ENODEV = 19, ENOTDIR = 20, EINVAL = 22, ENOSPC = 28, ENOSYS = 38;

    /// <summary>
    /// errno of the last Tmds.LibC call on this thread. Read it right after the failed call:
    /// Marshal.GetLastPInvokeError would return a stale value here, because Tmds.LibC's imports do
    /// not set SetLastError and the runtime's own imports (File.Exists...) do.
    /// </summary>
    public static int Last => LibC.errno;

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>
    /// An exception naming the failed step and the system's words for errno, in the form
    /// <c>open '/dev/kvm': Permission denied</c>.
    /// </summary>
    public static VirtToolsException Failure(string step, int errno, string errorId, object? target = null)
    {
        var kind = errno switch
        {
            EPERM or EACCES => VirtErrorKind.PermissionDenied,
            ENOENT or ENODEV or ESRCH => VirtErrorKind.NotFound,
            EBUSY => VirtErrorKind.ResourceBusy,
            EEXIST => VirtErrorKind.AlreadyExists,
            EINVAL => VirtErrorKind.InvalidArgument,
            ENOSYS => VirtErrorKind.NotSupported,
            _ => VirtErrorKind.DeviceError,
        };
        return new VirtToolsException(errorId, kind, $"{step}: {Describe(errno)}", target);
    }
}
