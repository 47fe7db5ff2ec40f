using System.Management.Automation;
using VirtTools.Machine;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Starts created machines: their vCPU begins executing the loaded image.</para>
/// </summary>
/// <remarks>
/// <para>Start-VirtMachine starts the vCPU thread of each selected machine. Only a machine in the Created state can start; a stopped machine is not restarted (create a new one).</para>
/// </remarks>
/// <example>
/// <code>Start-VirtMachine -Name demo -PassThru</code>
/// <para>Starts the machine and returns its state.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "VirtMachine", SupportsShouldProcess = true)]
[OutputType(typeof(VirtMachineInfo))]
public sealed class StartVirtMachineCommand : MachineCmdlet
{
    /// <summary>
    /// <para>Return the started machines.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var machine in SelectControls())
        {
            if (!ShouldProcess(machine.Name, "Start machine"))
            {
                continue;
            }
            try
            {
                Invoke(machine.Start);
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
