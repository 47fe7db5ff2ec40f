using System.Management.Automation;
using VirtTools.Isolation;

namespace VirtTools.PowerShell.Commands.Containers;

/// <summary>
/// <para type="synopsis">Defines a container: a root filesystem, a command, an isolation level and limits.</para>
/// </summary>
/// <remarks>
/// <para>New-VirtContainer records the container under /run/virttools/containers, where every pwsh on the host sees it, and returns it in the Created state. Start-VirtContainer runs it in the background.</para>
/// <para>Everything is checked first (the name, the root filesystem, the command inside it, the volumes), so bad input fails with a clear error and leaves nothing behind.</para>
/// <para>-Isolation Container (the default) adds cgroup limits, a reduced capability set, no_new_privs, a seccomp filter, masked /proc paths and read-only /proc/sys to the namespaces; Chroot is only chroot(2) and can be escaped by root inside (see docs/containers.md).</para>
/// </remarks>
/// <example>
/// <code>New-VirtContainer -Name web -RootFs /tmp/rootfs -Command sleep,600 -Memory 64MB -PidsLimit 32</code>
/// <para>Defines a container with a memory and a task limit; Start-VirtContainer web starts it.</para>
/// </example>
/// <example>
/// <code>New-VirtContainer -Name data -RootFs /tmp/rootfs -Command sh,-c,'ls /data' -Volume /srv/data:/data:ro -Hostname box</code>
/// <para>Bind-mounts a host directory read-only and sets the hostname inside.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "VirtContainer", SupportsShouldProcess = true, DefaultParameterSetName = ByRootFs)]
[OutputType(typeof(Container))]
public sealed class NewVirtContainerCommand : ContainerSpecCommandBase
{
    /// <summary>
    /// <para>The new container's name: 1 to 63 letters, digits, '_', '.' or '-'. Unique on the host.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, "Create container"))
        {
            return;
        }
        try
        {
            WriteObject(Invoke(() => Runtime.Create(BuildSpec(Name))));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Name);
        }
    }
}
