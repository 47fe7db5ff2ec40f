using VirtTools.Cgroups;
using VirtTools.Diagnostics;

namespace VirtTools.Host;

/// <summary>
/// Measures the host: each part is read from the kernel (CPUID, /dev/kvm ioctls, /proc, /sys),
/// never assumed. The slow parts run side by side on worker threads.
/// </summary>
public static class HostProbe
{
    private static readonly Serilog.ILogger log = VirtLog.For(nameof(HostProbe));

    public static async Task<HostInfo> ProbeAsync(CancellationToken cancellation = default)
    {
        var @unchecked = new List<string>();
        var cpuTask = Task.Run(() => Timed("CPUID", CpuIdentity.Read), cancellation);
        var kvmTask = Task.Run(() => Timed("/dev/kvm", () => KvmInfo.Probe()), cancellation);
        var cgroupTask = Task.Run(() => Timed("cgroup layout", () => CgroupTopology.Read()), cancellation);
        var nsTask = Task.Run(() => Timed("namespaces", () => NamespaceSupport.Probe()), cancellation);

        var cpu = await cpuTask.ConfigureAwait(false);
        var hypervisor = HypervisorInfo.Detect(cpu);
        var container = ContainerInfo.Detect(@unchecked);
        var kvm = await kvmTask.ConfigureAwait(false);
        var cgroups = await cgroupTask.ConfigureAwait(false);
        var namespaces = await nsTask.ConfigureAwait(false);

        if (kvm is { Present: true, Usable: false } && kvm.OpenError?.Contains("denied", StringComparison.OrdinalIgnoreCase) == true)
        {
            @unchecked.Add("/dev/kvm API version and extensions (no permission to open it)");
        }
        if (!Environment.IsPrivilegedProcess && !Directory.Exists("/sys/class/dmi/id"))
        {
            @unchecked.Add("DMI (no /sys/class/dmi/id)");
        }

        var accelerators = new List<AcceleratorKind>();
        if (kvm.Usable)
        {
            accelerators.Add(AcceleratorKind.Kvm);
        }
        if (OperatingSystem.IsWindows())
        {
            accelerators.Add(AcceleratorKind.Whp);
        }
        accelerators.Add(AcceleratorKind.Emulator);

        log.Information("Host probe done: KVM {KvmKind} usable={Usable}, cgroups {Layout}, hypervisor {Hypervisor:l}",
            kvm.Kind, kvm.Usable, cgroups.Layout, hypervisor.Name ?? "none");
        return new HostInfo(
            Environment.MachineName,
            KernelRelease(),
            System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            Environment.IsPrivilegedProcess,
            cpu,
            hypervisor,
            container,
            kvm,
            cgroups,
            namespaces,
            accelerators,
            @unchecked);
    }

    private static T Timed<T>(string what, Func<T> probe)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = probe();
        log.Debug("Probed {What:l} in {Milliseconds:F2} ms",
            what, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return result;
    }

    private static string KernelRelease()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Environment.OSVersion.VersionString;
        }
    }
}
