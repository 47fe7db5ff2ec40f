using VirtTools.Cgroups;

namespace VirtTools.Host;

/// <summary>
/// Turns a <see cref="HostInfo"/> into one Pass/Warn/Fail row per capability, each with a hint on how
/// to fix it (like libvirt's virt-host-validate), so an admin sees at once why a feature will not work.
/// </summary>
public static class HostValidator
{
    /// <summary>Namespaces a VirtTools container unshares (user is optional, so it is only a warning).</summary>
    private static readonly string[] containerNamespaces = ["mnt", "pid", "uts", "ipc", "net", "cgroup"];

    /// <summary>Controllers the cgroup limits use: memory, CPU, pids, cpuset, io (blkio on v1).</summary>
    private static readonly (string V1, string V2)[] limitControllers =
        [("memory", "memory"), ("cpu", "cpu"), ("cpuacct", "cpu"), ("pids", "pids"), ("cpuset", "cpuset"), ("blkio", "io")];

    public static IEnumerable<HostCheckResult> Validate(HostInfo host)
    {
        foreach (var row in CheckHost(host)) yield return row;
        foreach (var row in CheckCpu(host)) yield return row;
        foreach (var row in CheckKvm(host.Kvm)) yield return row;
        foreach (var row in CheckCgroups(host)) yield return row;
        foreach (var row in CheckNamespaces(host)) yield return row;
        yield return host.IsRoot
            ? new("Containers", "Running as root", HostCheckStatus.Pass, "euid 0", null)
            : new("Containers", "Running as root", HostCheckStatus.Fail, "not root", "containers and cgroup limits need root: run pwsh with sudo");
    }

    private static IEnumerable<HostCheckResult> CheckHost(HostInfo host)
    {
        yield return new("Host", "Hypervisor below us", HostCheckStatus.Pass,
            host.Hypervisor.Name is null ? "bare metal" : $"{host.Hypervisor.Name} ({host.Hypervisor.Source})", null);
        yield return new("Host", "Container", host.Container.Name is null ? HostCheckStatus.Pass : HostCheckStatus.Warn,
            host.Container.Name is null ? "not in a container" : $"{host.Container.Name} ({host.Container.Evidence})",
            host.Container.Name is null ? null : "nested containers need the outer runtime to allow mounts and unshare (privileged)");
        foreach (var item in host.Unchecked)
        {
            yield return new("Host", "Not checked", HostCheckStatus.Warn, item,
                host.IsRoot ? "not readable even as root (another security context owns it)" : "run as root to check it");
        }
    }

    private static IEnumerable<HostCheckResult> CheckCpu(HostInfo host)
    {
        var cpu = host.Cpu;
        if (cpu is null)
        {
            yield return new("Machines", "x86 CPU", HostCheckStatus.Fail, "not an x86 processor", "KVM and the emulator target x86-64 hosts");
            yield break;
        }
        yield return cpu.HardwareVirtualization
            ? new("Machines", "Hardware virtualization (VT-x/AMD-V)", HostCheckStatus.Pass, cpu.Vmx ? "vmx" : "svm", null)
            : new("Machines", "Hardware virtualization (VT-x/AMD-V)", HostCheckStatus.Warn, "CPUID shows neither vmx nor svm",
                host.Hypervisor.Name is null
                    ? "enable VT-x/AMD-V in the firmware set-up"
                    : $"enable nested virtualization in {host.Hypervisor.Name}; until then guests run on PVM or the emulator");
    }

    private static IEnumerable<HostCheckResult> CheckKvm(KvmInfo kvm)
    {
        if (!kvm.Present)
        {
            yield return new("Machines", "/dev/kvm present", HostCheckStatus.Fail, kvm.OpenError ?? "missing",
                kvm.Kind == KvmKind.None ? "load the module: modprobe kvm_intel (or kvm_amd)" : "create the device node: mknod /dev/kvm c 10 232");
            yield break;
        }
        yield return new("Machines", "/dev/kvm present", HostCheckStatus.Pass, "character device", null);
        if (kvm.ApiVersion is null)
        {
            yield return new("Machines", "/dev/kvm openable", HostCheckStatus.Fail, kvm.OpenError ?? "cannot open",
                "add the user to the kvm group (usermod -aG kvm $USER) or run as root");
            yield break;
        }
        yield return new("Machines", "/dev/kvm openable", HostCheckStatus.Pass, "read-write", null);
        yield return kvm.ApiVersion == 12
            ? new("Machines", "KVM API version", HostCheckStatus.Pass, "12", null)
            : new("Machines", "KVM API version", HostCheckStatus.Fail, kvm.ApiVersion.ToString()!, "this kernel's KVM API is not version 12: upgrade the kernel");
        yield return kvm.MissingRequired.Count == 0
            ? new("Machines", "KVM extensions", HostCheckStatus.Pass, string.Join(", ", KvmInfo.Required), null)
            : new("Machines", "KVM extensions", HostCheckStatus.Fail, "missing " + string.Join(", ", kvm.MissingRequired), "upgrade the kernel");
        var inKernelDevices = kvm.Extensions.GetValueOrDefault("Irqchip") > 0 && kvm.Extensions.GetValueOrDefault("Pit2") > 0;
        yield return new("Machines", "In-kernel PIC and PIT", inKernelDevices ? HostCheckStatus.Pass : HostCheckStatus.Warn,
            inKernelDevices ? "Irqchip, Pit2" : "absent", inKernelDevices ? null : "machines use the user-space PIC and PIT models (slower)");
        yield return kvm.Kind switch
        {
            KvmKind.HardwareVmx or KvmKind.HardwareSvm => new("Machines", "KVM kind", HostCheckStatus.Pass, $"{kvm.Kind} ({kvm.KernelModule})", null),
            KvmKind.Pvm => new("Machines", "KVM kind", HostCheckStatus.Warn, "PVM (kvm_pvm): software-assisted, no VT-x/AMD-V",
                "real-mode, protected-mode and guest-kernel code is emulated by the host kernel (about 2 MIPS): prefer -Accelerator Emulator for such guests"),
            _ => new("Machines", "KVM kind", HostCheckStatus.Warn, $"{kvm.Kind} ({kvm.KernelModule ?? "no module"})", "unknown KVM module: results may differ"),
        };
    }

    private static IEnumerable<HostCheckResult> CheckCgroups(HostInfo host)
    {
        var topology = host.Cgroups;
        if (topology.Layout == CgroupLayout.None)
        {
            yield return new("Cgroups", "cgroup filesystem", HostCheckStatus.Fail, "none mounted", "mount cgroup2 on /sys/fs/cgroup");
            yield break;
        }
        yield return new("Cgroups", "cgroup layout", HostCheckStatus.Pass, topology.Layout.ToString(), null);
        foreach (var (v1, v2) in limitControllers)
        {
            var hierarchy = topology.For(v1) ?? topology.For(v2);
            var name = hierarchy?.Version == 2 ? v2 : v1;
            if (hierarchy is null)
            {
                yield return new("Cgroups", $"Controller {v1}/{v2}", HostCheckStatus.Fail, "not available",
                    topology.Layout == CgroupLayout.V2
                        ? $"enable it for our subtree: echo +{v2} > cgroup.subtree_control of the parent"
                        : $"mount it: mount -t cgroup -o {v1} cgroup /sys/fs/cgroup/{v1}");
                continue;
            }
            yield return hierarchy.Writable
                ? new("Cgroups", $"Controller {name}", HostCheckStatus.Pass, $"v{hierarchy.Version} at {hierarchy.Directory}", null)
                : new("Cgroups", $"Controller {name}", HostCheckStatus.Fail, $"v{hierarchy.Version} at {hierarchy.Directory}, not writable",
                    "run as root, or have systemd delegate a subtree (Delegate=yes)");
        }
    }

    private static IEnumerable<HostCheckResult> CheckNamespaces(HostInfo host)
    {
        foreach (var kind in containerNamespaces)
        {
            yield return host.Namespaces.Kinds.Contains(kind)
                ? new("Containers", $"Namespace {kind}", HostCheckStatus.Pass, $"/proc/self/ns/{kind}", null)
                : new("Containers", $"Namespace {kind}", HostCheckStatus.Fail, "not supported by this kernel", $"rebuild the kernel with CONFIG_{kind.ToUpperInvariant()}_NS");
        }
        yield return host.Namespaces.UnprivilegedUserNamespaces switch
        {
            true => new("Containers", "Unprivileged user namespaces", HostCheckStatus.Pass, host.Namespaces.UserNamespaceReason, null),
            false => new("Containers", "Unprivileged user namespaces", HostCheckStatus.Warn, host.Namespaces.UserNamespaceReason,
                "rootless containers need them: sysctl -w kernel.unprivileged_userns_clone=1 (Debian) or user.max_user_namespaces>0"),
            null => new("Containers", "Unprivileged user namespaces", HostCheckStatus.Warn, host.Namespaces.UserNamespaceReason, "could not be read"),
        };
    }
}
