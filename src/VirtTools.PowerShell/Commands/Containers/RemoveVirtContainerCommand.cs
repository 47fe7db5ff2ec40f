using System.Management.Automation;

namespace VirtTools.PowerShell.Commands.Containers;

/// <summary>
/// <para type="synopsis">Removes containers: their cgroups and their state directory.</para>
/// </summary>
/// <remarks>
/// <para>Remove-VirtContainer deletes a container that is Created, Exited or Stale. A Running container is refused unless -Force, which kills it first.</para>
/// <para>Stale containers (their monitor died: a pwsh killed mid-run, a crash) are cleaned completely: any process left is killed, the cgroups are removed, the state directory is deleted.</para>
/// </remarks>
/// <example>
/// <code>Remove-VirtContainer web</code>
/// <para>Removes the stopped container web.</para>
/// </example>
/// <example>
/// <code>Get-VirtContainer | Remove-VirtContainer -Force</code>
/// <para>Removes every container, killing those that run.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "VirtContainer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByName)]
[OutputType(typeof(void))]
public sealed class RemoveVirtContainerCommand : ContainerCommandBase
{
    /// <summary>
    /// <para>Kill a running container before removing it.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in SelectedNames())
        {
            if (!ShouldProcess(name, "Remove container"))
            {
                continue;
            }
            try
            {
                Invoke(() => Runtime.Remove(name, Force));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, name);
            }
        }
    }
}
