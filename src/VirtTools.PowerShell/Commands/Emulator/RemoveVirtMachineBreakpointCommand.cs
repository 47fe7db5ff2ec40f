using System.Management.Automation;
using VirtTools.Accelerators.Emulator;
using VirtTools.Machine;
using VirtTools.PowerShell.Commands.Machines;

namespace VirtTools.PowerShell.Commands.Emulator;

/// <summary>
/// <para type="synopsis">Removes breakpoints from machines.</para>
/// </summary>
/// <remarks>
/// <para>Without -Address or -Port every breakpoint of the machine is removed. Pipe Get-VirtMachineBreakpoint output to remove exactly those.</para>
/// </remarks>
/// <example>
/// <code>Get-VirtMachineBreakpoint -Name dbg | Remove-VirtMachineBreakpoint</code>
/// <para>Removes all breakpoints of the machine dbg.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "VirtMachineBreakpoint", SupportsShouldProcess = true)]
[OutputType(typeof(MachineBreakpoint))]
public sealed class RemoveVirtMachineBreakpointCommand : MachineCmdlet
{
    /// <summary>
    /// <para>Remove the address breakpoint at this linear address.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public ulong? Value { get; set; }

    /// <summary>
    /// <para>"Address" or "Port": which kind -Value names (default Address).</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("Address", "Port")]
    public string Kind { get; set; } = "Address";

    /// <summary>
    /// <para>Return the removed breakpoints.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var machine in Select<IMachineDebugger>())
        {
            try
            {
                var targets = Value is { } v
                    ? new[] { new MachineBreakpoint(machine.Name, Kind, v) }
                    : Invoke(() => machine.Breakpoints()).ToArray();
                foreach (var b in targets)
                {
                    if (!ShouldProcess(machine.Name, $"Remove {b.Kind} breakpoint 0x{b.Value:x}"))
                    {
                        continue;
                    }
                    if (!Invoke(() => machine.RemoveBreakpoint(b)))
                    {
                        WriteError(Infrastructure.ErrorRecords.Create("BreakpointNotFound", Diagnostics.VirtErrorKind.NotFound,
                            $"machine '{machine.Name}' has no {b.Kind.ToLowerInvariant()} breakpoint at 0x{b.Value:x}", b));
                        continue;
                    }
                    if (PassThru)
                    {
                        WriteObject(b);
                    }
                }
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, machine.Name);
            }
        }
    }
}
