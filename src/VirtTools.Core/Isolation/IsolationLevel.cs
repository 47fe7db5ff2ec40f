namespace VirtTools.Isolation;

/// <summary>How much of the host a container's process is kept from (docs/containers.md).</summary>
public enum IsolationLevel
{
    /// <summary>chroot(2) only. Not a security boundary: a root process inside can escape it.</summary>
    Chroot,
    /// <summary>New pid, mount, uts, ipc, net and cgroup namespaces, pivot_root with the old root detached, fresh /proc, minimal /dev, read-only /sys.</summary>
    Namespaces,
    /// <summary>Namespaces plus cgroup limits, a reduced capability set, no_new_privs, a seccomp filter, masked /proc paths, read-only /proc/sys and rlimits.</summary>
    Container,
}
