using System.Management.Automation;
using VirtTools.Machine;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Resumes paused machines.</para>
/// </summary>
/// <remarks>
/// <para>Resume-VirtMachine lets the vCPU of each paused machine enter the guest again; the machine is Running when the command returns.</para>
/// </remarks>
/// <example>
/// <code>Resume-VirtMachine -Name demo -PassThru</code>
/// <para>Resumes the machine and returns its state.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Resume, "VirtMachine", SupportsShouldProcess = true)]
[OutputType(typeof(VirtMachineInfo))]
public sealed class ResumeVirtMachineCommand : MachineCmdlet
{
    /// <summary>
    /// <para>Return the resumed machines.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var machine in SelectControls())
        {
            if (!ShouldProcess(machine.Name, "Resume machine"))
            {
                continue;
            }
            try
            {
                Invoke(machine.Resume);
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
