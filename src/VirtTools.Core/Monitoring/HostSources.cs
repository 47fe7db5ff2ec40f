using VirtTools.Cgroups;
using VirtTools.Isolation;
using VirtTools.Machine;

namespace VirtTools.Monitoring;

/// <summary>The sources that show what VirtTools runs on this host, wired so each item is listed once.</summary>
public static class HostSources
{
    /// <summary>
    /// Containers from /run/virttools, the machines this process hosts (when given their registry),
    /// the detached machines of every VMM process on the host, then our cgroups (without the
    /// containers' own).
    /// </summary>
    public static IReadOnlyList<IMonitorSource> Create(Func<MachineRegistry>? machines = null, string? containerRoot = null)
    {
        var cgroups = CgroupManager.ForCurrentProcess();
        var containers = new ContainerSource(new ContainerRuntime(new ContainerStore(containerRoot ?? ContainerStore.DefaultRoot)), cgroups);
        // Containers are read first in every refresh, so their groups are known when cgroups are listed.
        var cgroupSource = new CgroupSource(cgroups) { IsOwned = containers.Owns };
        IReadOnlySet<string> HostedHere() => machines is null ? new HashSet<string>() : machines().All.Select(m => m.Name).ToHashSet();
        var detached = new DetachedMachineSource(HostedHere);
        return machines is null
            ? [containers, detached, cgroupSource]
            : [containers, new MachineSource(machines), detached, cgroupSource];
    }
}
