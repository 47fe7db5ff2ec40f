using System.Management.Automation;
using VirtTools.Isolation;

namespace VirtTools.PowerShell.Commands.Containers;

/// <summary>
/// <para type="synopsis">Stops running containers: SIGTERM, then SIGKILL after a timeout.</para>
/// </summary>
/// <remarks>
/// <para>Stop-VirtContainer sends SIGTERM to the container's init (PID 1 inside) and waits up to -Timeout seconds for it to exit, then sends SIGKILL. Note that PID 1 of a pid namespace ignores signals it has no handler for, so a plain sleep only ends at the SIGKILL. -Force sends SIGKILL at once.</para>
/// <para>Works from any pwsh, not only the one that started the container. Containers that are not running are left as they are.</para>
/// </remarks>
/// <example>
/// <code>Stop-VirtContainer web -Timeout 5</code>
/// <para>Asks web to stop and kills it after 5 seconds.</para>
/// </example>
/// <example>
/// <code>Get-VirtContainer -Status Running | Stop-VirtContainer -Force</code>
/// <para>Kills every running container.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Stop, "VirtContainer", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Container))]
public sealed class StopVirtContainerCommand : ContainerCommandBase
{
    /// <summary>
    /// <para>Seconds to wait after SIGTERM before SIGKILL (default 10).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int Timeout { get; set; } = 10;

    /// <summary>
    /// <para>Send SIGKILL at once.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// <para>Return the stopped containers.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in SelectedNames())
        {
            if (!ShouldProcess(name, Force ? "Kill container" : "Stop container"))
            {
                continue;
            }
            try
            {
                var container = Invoke(() => Runtime.Stop(name, TimeSpan.FromSeconds(Timeout), Force));
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
