namespace VirtTools.Cgroups;

/// <summary>How the host mounts its cgroup hierarchies.</summary>
public enum CgroupLayout
{
    /// <summary>No cgroup filesystem is mounted.</summary>
    None,
    /// <summary>cgroup v1 only: one hierarchy per controller (or per group of controllers).</summary>
    V1,
    /// <summary>cgroup v2 only: one unified hierarchy.</summary>
    V2,
    /// <summary>v1 controllers plus a cgroup2 mount (usually /sys/fs/cgroup/unified) beside them.</summary>
    Hybrid,
}
