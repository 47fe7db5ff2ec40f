using System.Management.Automation;
using VirtTools.Machine;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Pauses running machines: the vCPU leaves the guest and waits.</para>
/// </summary>
/// <remarks>
/// <para>Suspend-VirtMachine kicks the vCPU out of the guest at once and parks it; the machine is Paused when the command returns. Devices keep their state; the PIT keeps time, so a resumed guest may see timer interrupts that piled up.</para>
/// </remarks>
/// <example>
/// <code>Suspend-VirtMachine -Name demo; Get-VirtMachineRegister -Name demo</code>
/// <para>Pauses the machine and reads its registers.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Suspend, "VirtMachine", SupportsShouldProcess = true)]
[OutputType(typeof(VirtMachineInfo))]
public sealed class SuspendVirtMachineCommand : MachineCmdlet
{
    /// <summary>
    /// <para>Return the paused machines.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var machine in SelectControls())
        {
            if (!ShouldProcess(machine.Name, "Pause machine"))
            {
                continue;
            }
            try
            {
                Invoke(machine.Pause);
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
