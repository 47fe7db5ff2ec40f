using System.Management.Automation;
using VirtTools.Machine;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Stops running or paused machines, gracefully or (-Force) at once.</para>
/// </summary>
/// <remarks>
/// <para>Without -Force the machine stops at the guest's next exit (a port access, an interrupt, HLT), and the command waits up to 5 seconds: a guest that spins without exits is not interrupted and the command reports MachineStopTimeout.</para>
/// <para>With -Force the vCPU is kicked out of the guest at once (KVM immediate_exit plus a signal to the vCPU thread), so even a spinning guest stops within milliseconds.</para>
/// <para>A stopped machine keeps its output, exit statistics and registers until Remove-VirtMachine.</para>
/// </remarks>
/// <example>
/// <code>Stop-VirtMachine -Name demo</code>
/// <para>Stops the machine at its next exit.</para>
/// </example>
/// <example>
/// <code>Get-VirtMachine | Stop-VirtMachine -Force</code>
/// <para>Stops every machine in the session immediately.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Stop, "VirtMachine", SupportsShouldProcess = true)]
[OutputType(typeof(VirtMachineInfo))]
public sealed class StopVirtMachineCommand : MachineCmdlet
{
    /// <summary>
    /// <para>Interrupt the guest immediately instead of waiting for its next exit.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// <para>Return the stopped machines.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var machine in SelectControls())
        {
            if (!ShouldProcess(machine.Name, Force ? "Stop machine (forced)" : "Stop machine"))
            {
                continue;
            }
            try
            {
                Invoke(() => machine.Stop(Force));
                if (PassThru)
                {
                    WriteObject(machine.Info());
                }
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, machine.Name);
            }
        }
    }
}
