using System.Management.Automation;
using VirtTools.Accelerators.Emulator;
using VirtTools.Machine;
using VirtTools.PowerShell.Commands.Machines;

namespace VirtTools.PowerShell.Commands.Emulator;

/// <summary>
/// <para type="synopsis">Disassembles guest code of a machine, at CS:RIP or at an address.</para>
/// </summary>
/// <remarks>
/// <para>The instructions are decoded with Iced in the vCPU's current code size (16, 32 or 64 bits). On the Emulator the address is linear (translated through the guest's page tables); on KVM it is read as a guest-physical address. A running machine is paused for the read and resumed.</para>
/// </remarks>
/// <example>
/// <code>Get-VirtDisassembly -Name dbg -Count 8</code>
/// <para>Shows the next eight instructions at CS:RIP.</para>
/// </example>
/// <example>
/// <code>Get-VirtDisassembly -Name dbg -Address 0x7c00 -Count 4</code>
/// <para>Shows four instructions at linear address 0x7c00.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "VirtDisassembly")]
[OutputType(typeof(DisassemblyLine))]
public sealed class GetVirtDisassemblyCommand : MachineCmdlet
{
    /// <summary>
    /// <para>Where to start (default: the current CS:RIP).</para>
    /// </summary>
    [Parameter]
    public ulong? Address { get; set; }

    /// <summary>
    /// <para>How many instructions to show (default 10).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 10000)]
    public int Count { get; set; } = 10;

    protected override void ProcessRecord()
    {
        foreach (var machine in Select<IMachineDebugger>())
        {
            try
            {
                foreach (var line in Invoke(() => machine.Disassemble(Address, Count)))
                {
                    WriteObject(line);
                }
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, machine.Name);
            }
        }
    }
}
