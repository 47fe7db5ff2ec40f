using System.Management.Automation;
using VirtTools.Accelerators.Emulator;
using VirtTools.Machine;
using VirtTools.PowerShell.Commands.Machines;

namespace VirtTools.PowerShell.Commands.Emulator;

/// <summary>
/// <para type="synopsis">Sets a breakpoint on an instruction address or an I/O port of an emulator machine.</para>
/// </summary>
/// <remarks>
/// <para>An address breakpoint stops the vCPU before it executes the instruction at that linear address (CS base + RIP); a port breakpoint stops it after an IN or OUT on the port. Either way the machine becomes Paused: look with Get-VirtMachineRegister and Get-VirtDisassembly, go on with Step-VirtMachine or Resume-VirtMachine. Only the Emulator accelerator supports breakpoints.</para>
/// </remarks>
/// <example>
/// <code>Set-VirtMachineBreakpoint -Name dbg -Address 0x7c10; Start-VirtMachine -Name dbg</code>
/// <para>Runs the machine until it reaches linear address 0x7c10.</para>
/// </example>
/// <example>
/// <code>Set-VirtMachineBreakpoint -Name dbg -Port 0x3f8</code>
/// <para>Pauses the machine whenever the guest touches the first UART register.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "VirtMachineBreakpoint", SupportsShouldProcess = true, DefaultParameterSetName = "Address")]
[OutputType(typeof(MachineBreakpoint))]
public sealed class SetVirtMachineBreakpointCommand : MachineCmdlet
{
    /// <summary>
    /// <para>The linear address of the instruction to stop at.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = "Address")]
    public ulong Address { get; set; }

    /// <summary>
    /// <para>The I/O port whose accesses stop the machine.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = "Port")]
    public ushort Port { get; set; }

    protected override void ProcessRecord()
    {
        bool byAddress = ParameterSetName == "Address";
        foreach (var machine in Select<IMachineDebugger>())
        {
            if (!ShouldProcess(machine.Name, byAddress ? $"Break at 0x{Address:x}" : $"Break on port 0x{Port:x}"))
            {
                continue;
            }
            try
            {
                WriteObject(Invoke(() => machine.AddBreakpoint(byAddress ? Address : null, byAddress ? null : Port)));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, machine.Name);
            }
        }
    }
}
