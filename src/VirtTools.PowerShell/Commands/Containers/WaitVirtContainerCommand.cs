using System.Management.Automation;
using VirtTools.Diagnostics;
using VirtTools.Isolation;

namespace VirtTools.PowerShell.Commands.Containers;

/// <summary>
/// <para type="synopsis">Waits until containers are no longer running and returns them.</para>
/// </summary>
/// <remarks>
/// <para>Wait-VirtContainer returns each container once it has exited (with its ExitCode) or gone stale. With -Timeout, a container still running after that many seconds is reported as a Timeout error. Ctrl+C stops the wait, not the container.</para>
/// </remarks>
/// <example>
/// <code>(Start-VirtContainer job -PassThru | Wait-VirtContainer).ExitCode</code>
/// <para>Runs a container in the background and then collects its exit code.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Wait, "VirtContainer", DefaultParameterSetName = ByName)]
[OutputType(typeof(Container))]
public sealed class WaitVirtContainerCommand : ContainerCommandBase
{
    private readonly CancellationTokenSource cancellation = new();

    /// <summary>
    /// <para>Seconds to wait for each container; without it, wait as long as it takes.</para>
    /// </summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? Timeout { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in SelectedNames())
        {
            try
            {
                var timeout = Timeout is { } t ? TimeSpan.FromSeconds(t) : (TimeSpan?)null;
                var ended = Invoke(() => Runtime.Wait(name, timeout, cancellation.Token));
                if (!ended)
                {
                    WriteFailure(new VirtToolsException("WaitTimeout", VirtErrorKind.Timeout, $"Container '{name}' is still running after {Timeout} s", name), name);
                    continue;
                }
                WriteObject(Runtime.Get(name));
            }
            catch (OperationCanceledException)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, name);
            }
        }
    }

    protected override void StopProcessing() => cancellation.Cancel();
}
