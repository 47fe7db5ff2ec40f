using System.Management.Automation;
using VirtTools.Isolation;

namespace VirtTools.PowerShell.Commands.Containers;

/// <summary>
/// <para type="synopsis">Runs a command in a container and returns its exit code, output, OOM flag, peak memory and duration.</para>
/// </summary>
/// <remarks>
/// <para>With -RootFs, Invoke-VirtContainer runs the command in a new one-shot container and removes it afterwards: its cgroups, its state and every process are gone when the command returns, also when it fails or you press Ctrl+C.</para>
/// <para>With -Name or -InputObject, it runs the command inside a running container (like runc exec): in its namespaces, root, cgroups and security settings.</para>
/// <para>The result has ExitCode (128+N when signal N ended it), Output and Error (one string per line), OomKilled (the memory cgroup's OOM killer struck during the run), PeakMemory (bytes) and Duration, ready for Pester assertions.</para>
/// </remarks>
/// <example>
/// <code>Invoke-VirtContainer -RootFs /tmp/rootfs -Hostname inside -Command sh,-c,'echo pid=$$; hostname'</code>
/// <para>Prints pid=1 and inside: the command is PID 1 of its own pid namespace, with its own hostname.</para>
/// </example>
/// <example>
/// <code>(Invoke-VirtContainer -RootFs /tmp/rootfs -Memory 32MB -Command sh,-c,'head -c 200000000 /dev/zero | tail').OomKilled</code>
/// <para>True: tail buffers the whole input and is OOM-killed at the 32 MB limit.</para>
/// </example>
/// <example>
/// <code>Invoke-VirtContainer -Name web -Command cat,/etc/hostname</code>
/// <para>Runs cat inside the running container web.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "VirtContainer", SupportsShouldProcess = true, DefaultParameterSetName = ByRootFs)]
[OutputType(typeof(ContainerRunResult))]
public sealed class InvokeVirtContainerCommand : ContainerSpecCommandBase
{
    // Cancelled from StopProcessing (Ctrl+C), which PowerShell calls on another thread while the
    // run blocks the pipeline thread; the run is synchronous because it is short and latency matters.
    private readonly CancellationTokenSource cancellation = new();

    /// <summary>
    /// <para>The running container to run the command in.</para>
    /// </summary>
    [Parameter(ParameterSetName = "Name", Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>
    /// <para>The running container to run the command in, as Get-VirtContainer returns it.</para>
    /// </summary>
    [Parameter(ParameterSetName = "InputObject", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Container? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        var oneShot = ParameterSetName == ByRootFs;
        var target = oneShot ? RootFs : InputObject?.Name ?? Name;
        if (!ShouldProcess(target, $"Run '{string.Join(' ', Command)}' in {(oneShot ? "a new container" : "the container")}"))
        {
            return;
        }
        try
        {
            ContainerRunResult result;
            if (oneShot)
            {
                var spec = Invoke(() => BuildSpec($"run-{Guid.NewGuid():N}"[..16]));
                result = Invoke(() => Runtime.Run(spec, cancellation.Token));
            }
            else
            {
                var environment = EnvironmentMap();
                result = Invoke(() => Runtime.Exec(target, Command, environment, WorkingDirectory, cancellation.Token));
            }
            WriteObject(result);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, target);
        }
    }

    protected override void StopProcessing() => cancellation.Cancel();
}
