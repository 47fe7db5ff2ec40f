using System.Runtime.InteropServices;

namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// ioctl(2) with the request as <c>unsigned long</c>, as glibc declares it: KVM's _IOR/_IOW numbers do
/// not fit a signed int. Called on every guest exit, so it is a direct import with no marshalling.
/// </summary>
internal static unsafe partial class KvmNative
{
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, nuint argument);
}
