using System.Management.Automation;
using VirtTools.Machine;
using VirtTools.Machine.Remote;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Removes machines and releases their memory, vCPU and accelerator handles.</para>
/// </summary>
/// <remarks>
/// <para>Remove-VirtMachine disposes the selected machines: the vCPU thread ends, the KVM vCPU and VM fds are closed and guest memory is unmapped. A Running or Paused machine is refused (MachineRunning) unless -Force, which stops it at once first.</para>
/// </remarks>
/// <example>
/// <code>Remove-VirtMachine -Name demo</code>
/// <para>Removes a stopped machine.</para>
/// </example>
/// <example>
/// <code>Get-VirtMachine | Remove-VirtMachine -Force</code>
/// <para>Stops and removes every machine in the session.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "VirtMachine", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveVirtMachineCommand : MachineCmdlet
{
    /// <summary>
    /// <para>Stop running or paused machines at once, then remove them.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var machine in SelectControls())
        {
            if (!ShouldProcess(machine.Name, "Remove machine"))
            {
                continue;
            }
            try
            {
                if (machine is RemoteMachine remote)
                {
                    Invoke(() => remote.Remove(Force));
                }
                else
                {
                    Invoke(() => MachineSession.Registry.Remove(machine.Name, Force));
                }
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, machine.Name);
            }
        }
    }
}
