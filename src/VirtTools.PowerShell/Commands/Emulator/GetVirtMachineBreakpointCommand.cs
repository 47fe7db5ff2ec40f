using System.Management.Automation;
using VirtTools.Accelerators.Emulator;
using VirtTools.Machine;
using VirtTools.PowerShell.Commands.Machines;

namespace VirtTools.PowerShell.Commands.Emulator;

/// <summary>
/// <para type="synopsis">Lists the breakpoints of machines.</para>
/// </summary>
/// <remarks>
/// <para>Returns one object per address or port breakpoint; machines on KVM have none.</para>
/// </remarks>
/// <example>
/// <code>Get-VirtMachineBreakpoint -Name dbg</code>
/// <para>Shows the breakpoints of the machine dbg.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "VirtMachineBreakpoint")]
[OutputType(typeof(MachineBreakpoint))]
public sealed class GetVirtMachineBreakpointCommand : MachineCmdlet
{
    protected override void ProcessRecord()
    {
        foreach (var machine in Select<IMachineDebugger>())
        {
            try
            {
                foreach (var b in Invoke(() => machine.Breakpoints()))
                {
                    WriteObject(b);
                }
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, machine.Name);
            }
        }
    }
}
