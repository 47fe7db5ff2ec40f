using System.Management.Automation;
using VirtTools.Machine;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Reads the vCPU registers of machines: general-purpose, segment selectors, control registers, descriptor tables and the CPU mode.</para>
/// </summary>
/// <remarks>
/// <para>A running machine is paused for the read and resumed right after (in its VMM process, over the control socket, for a machine that runs in one); a created, paused, stopped or crashed machine is read as it is (after a crash the registers show where the guest died).</para>
/// </remarks>
/// <example>
/// <code>Get-VirtMachineRegister -Name demo</code>
/// <para>Shows the registers of the machine's vCPU.</para>
/// </example>
/// <example>
/// <code>Get-VirtMachineRegister -Name smp -Processor 1</code>
/// <para>Shows the registers of the machine's second vCPU (APIC id 1).</para>
/// </example>
/// <example>
/// <code>'0x{0:x}' -f (Get-VirtMachineRegister -Name demo).Rip</code>
/// <para>Shows the instruction pointer in hex.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "VirtMachineRegister")]
[OutputType(typeof(MachineRegisters))]
public sealed class GetVirtMachineRegisterCommand : MachineCmdlet
{
    /// <summary>
    /// <para>Which vCPU to read: its index, which is also its APIC id (0, the bootstrap processor, by default).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(0, 253)]
    public int Processor { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var machine in Select<IMachineDebugger>())
        {
            try
            {
                WriteObject(Invoke(() => machine.Registers(Processor)));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, machine.Name);
            }
        }
    }
}
