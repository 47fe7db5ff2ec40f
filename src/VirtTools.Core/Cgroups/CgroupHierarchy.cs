namespace VirtTools.Cgroups;

/// <summary>
/// One mounted cgroup hierarchy and where this process sits in it.
/// </summary>
/// <param name="Version">1 or 2.</param>
/// <param name="MountPoint">Where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory.</param>
/// <param name="MountRoot">The cgroup the mount shows as its root (not "/" inside a cgroup namespace).</param>
/// <param name="Controllers">Controllers bound to it (v1: from the mount options; v2: cgroup.controllers). A v1 named hierarchy lists "name=..." here.</param>
/// <param name="ProcessPath">This process's cgroup in the hierarchy, as /proc/self/cgroup gives it.</param>
/// <param name="Directory">The directory of that cgroup on this host, where new groups are created.</param>
/// <param name="Writable">Whether this process may create groups there (delegation, or root).</param>
/// <param name="SubtreeControl">v2 only: controllers enabled for children (cgroup.subtree_control).</param>
public sealed record CgroupHierarchy(
    int Version,
    string MountPoint,
    string MountRoot,
    IReadOnlyList<string> Controllers,
    string ProcessPath,
    string Directory,
    bool Writable,
    IReadOnlyList<string> SubtreeControl);
