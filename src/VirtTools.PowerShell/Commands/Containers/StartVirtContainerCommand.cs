using System.Management.Automation;
using VirtTools.Isolation;

namespace VirtTools.PowerShell.Commands.Containers;

/// <summary>
/// <para type="synopsis">Starts containers in the background.</para>
/// </summary>
/// <remarks>
/// <para>Start-VirtContainer creates the container's cgroups and launches the virttools-container helper, which sets up the namespaces, mounts and root switch in the new process, execs the command, and stays behind (a few hundred KB) as its monitor, recording the exit status. The command's output goes to output.log in the container's state directory.</para>
/// <para>It returns once the command is running, or fails with the set-up step that went wrong (for example "pivot_root '/x': Invalid argument"), leaving the container Created and nothing else behind.</para>
/// </remarks>
/// <example>
/// <code>New-VirtContainer -Name web -RootFs /tmp/rootfs -Command sleep,600 | Start-VirtContainer -PassThru</code>
/// <para>Creates and starts a container and shows it Running.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "VirtContainer", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Container))]
public sealed class StartVirtContainerCommand : ContainerCommandBase
{
    /// <summary>
    /// <para>Return the started containers.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in SelectedNames())
        {
            if (!ShouldProcess(name, "Start container"))
            {
                continue;
            }
            try
            {
                var container = Invoke(() => Runtime.Start(name));
                if (PassThru)
                {
                    WriteObject(container);
                }
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, name);
            }
        }
    }
}
