using System.Runtime.InteropServices;

namespace VirtTools.Interop;

/// <summary>The kernel's id of the calling thread (what /proc/self/task/TID names), which .NET does not expose.</summary>
internal static partial class OsThread
{
    public static int CurrentId() => gettid();

    [LibraryImport("libc")]
    private static partial int gettid();
}
