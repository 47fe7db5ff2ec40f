using System.Management.Automation;
using System.Text;
using VirtTools.Machine;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Runs an image to completion (or until -Timeout) and returns its serial output, exit code and statistics.</para>
/// </summary>
/// <remarks>
/// <para>Invoke-VirtMachine builds a machine, starts it, waits until the guest ends it or -Timeout passes, then releases everything and returns one object: State (Stopped or Crashed), ExitCode (the value the guest wrote to the debug-exit port 0xf4), Output (what it wrote to COM1), Reason, TimedOut, Duration, exits by reason, unhandled port accesses, the accelerator and, for KVM, which kind of KVM ran it (hardware VT-x/AMD-V or PVM).</para>
/// <para>A guest that crashes (triple fault, emulation failure) ends as Crashed with the accelerator's exit data in Reason. A timeout stops the machine by force and sets TimedOut.</para>
/// </remarks>
/// <example>
/// <code>$r = Invoke-VirtMachine -Accelerator Kvm -Image ./guest.bin -Mode Long -LoadAddress 0x100000 -Timeout 00:00:30
/// $r.Output
/// $r.ExitCode</code>
/// <para>Runs a 64-bit flat binary and shows what it printed on COM1 and the exit code it wrote to port 0xf4.</para>
/// </example>
/// <example>
/// <code>(Invoke-VirtMachine -Image ./real.bin -Mode Real -LoadAddress 0x1000).ExitCode | Should -Be 16</code>
/// <para>Uses the result in a Pester assertion.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "VirtMachine", DefaultParameterSetName = "Image")]
[OutputType(typeof(MachineRunResult))]
public sealed class InvokeVirtMachineCommand : MachineImageCmdlet
{
    private readonly CancellationTokenSource cancel = new();

    /// <summary>
    /// <para>A name for the run (shown in logs); default "invoke".</para>
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "invoke";

    /// <summary>
    /// <para>How long the guest may run before it is stopped by force (default one minute).</para>
    /// </summary>
    [Parameter]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// <para>Text sent to the guest's COM1 as soon as it starts, as if typed on its console.</para>
    /// </summary>
    [Parameter]
    public string? InputText { get; set; }

    protected override void EndProcessing()
    {
        try
        {
            var config = BuildConfig(Name);
            var input = InputText is null ? null : Encoding.UTF8.GetBytes(InputText);
            var result = Await(() => Task.Run(() => MachineRun.Run(config, Timeout, input, cancel.Token)));
            if (result.TimedOut)
            {
                WriteWarning($"the guest did not finish within {Timeout}; it was stopped by force");
            }
            WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, Name);
        }
    }

    protected override void StopProcessing() => cancel.Cancel();
}
