using Tmds.Linux;
using VirtTools.Diagnostics;
using VirtTools.Interop;

namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// An open /dev/kvm: the system-level ioctls (API version, capabilities, vCPU mapping size). The
/// machine layer creates VMs from it; the host report reads it to say what KVM can do here.
/// </summary>
public sealed class KvmSystem : IDisposable
{
    /// <summary>The only API version that has ever shipped; anything else is refused.</summary>
    public const int ExpectedApiVersion = 12;

    public const string DevicePath = "/dev/kvm";

    private readonly FileDescriptor device;

    private KvmSystem(FileDescriptor device, string path)
    {
        this.device = device;
        Path = path;
    }

    public string Path { get; }

    internal int Fd => device.Fd;

    /// <summary>Opens the device read-write; throws <c>KvmOpenFailed</c> naming the path and errno.</summary>
    public static KvmSystem Open(string path = DevicePath) =>
        new(FileDescriptor.Open(path, LibC.O_RDWR, "KvmOpenFailed"), path);

    /// <summary>Opens the device; null with the errno when it cannot be opened.</summary>
    public static KvmSystem? TryOpen(out int errno, string path = DevicePath)
    {
        var fd = FileDescriptor.TryOpen(path, LibC.O_RDWR, out errno);
        return fd is null ? null : new KvmSystem(fd, path);
    }

    /// <summary>KVM_GET_API_VERSION.</summary>
    public int ApiVersion => Checked(LibC.ioctl(device.Fd, KvmIoctl.GetApiVersion), "KVM_GET_API_VERSION");

    /// <summary>KVM_GET_VCPU_MMAP_SIZE.</summary>
    public int VcpuMmapSize => Checked(LibC.ioctl(device.Fd, KvmIoctl.GetVcpuMmapSize), "KVM_GET_VCPU_MMAP_SIZE");

    /// <summary>KVM_CHECK_EXTENSION: 0 when absent; 1 or a number (such as a count) when present.</summary>
    public int CheckExtension(KvmCapability capability)
    {
        var result = LibC.ioctl(device.Fd, KvmIoctl.CheckExtension, (int)capability);
        // Old kernels answer EINVAL for numbers they have never heard of: that means "absent".
        return result < 0 ? 0 : result;
    }

    /// <summary>KVM_CREATE_VM: a new, empty VM (machine type 0, the default address space).</summary>
    public FileDescriptor CreateVm()
    {
        var fd = LibC.ioctl(device.Fd, KvmIoctl.CreateVm, 0);
        return fd >= 0 ? new FileDescriptor(fd) : throw Errno.Failure($"KVM_CREATE_VM on {Path}", Errno.Last, "KvmCreateVmFailed", Path);
    }

    /// <summary>
    /// KVM_GET_SUPPORTED_CPUID: the <c>struct kvm_cpuid2</c> (nent, padding, then 40-byte entries) that
    /// KVM_SET_CPUID2 takes back unchanged. Grows the buffer while the kernel answers E2BIG.
    /// </summary>
    public unsafe byte[] GetSupportedCpuid()
    {
        const int E2BIG = 7;
        // 10 KiB on the stack first: a fresh VMM process pays for a first large heap array (the GC
        // clears and faults in new pages); only the filled part is copied to the heap.
        Span<byte> first = stackalloc byte[8 + 256 * 40];
        for (var entries = 256; ; entries *= 2)
        {
            var buffer = entries == 256 ? first : new byte[8 + entries * 40];
            fixed (byte* p = buffer)
            {
                *(uint*)p = (uint)entries;
                if (KvmNative.Ioctl(device.Fd, KvmIoctl.GetSupportedCpuid, p) == 0)
                {
                    return buffer[..(8 + (int)*(uint*)p * 40)].ToArray();
                }
            }
            var errno = Errno.Last;
            if (errno != E2BIG || entries > 4096)
            {
                throw Errno.Failure($"KVM_GET_SUPPORTED_CPUID on {Path}", errno, "KvmIoctlFailed", Path);
            }
        }
    }

    private static int Checked(int result, string step) =>
        result >= 0 ? result : throw Errno.Failure($"{step} on {DevicePath}", Errno.Last, "KvmIoctlFailed", DevicePath);

    public void Dispose() => device.Dispose();
}
