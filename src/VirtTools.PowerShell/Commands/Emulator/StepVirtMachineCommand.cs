using System.Management.Automation;
using VirtTools.Accelerators.Emulator;
using VirtTools.Machine;
using VirtTools.PowerShell.Commands.Machines;

namespace VirtTools.PowerShell.Commands.Emulator;

/// <summary>
/// <para type="synopsis">Executes a number of guest instructions on an emulator machine and reports where it stopped.</para>
/// </summary>
/// <remarks>
/// <para>Step-VirtMachine runs the vCPU of a Created or Paused machine (a Running one is paused for the step and resumed after it) for -Count instructions, or fewer if the guest halts, triple-faults or reaches a breakpoint. Port and MMIO accesses reach the machine's devices as usual. Only machines on the Emulator accelerator can be stepped.</para>
/// </remarks>
/// <example>
/// <code>New-VirtMachine -Name dbg -Accelerator Emulator -Image ./boot.bin -Mode Real -LoadAddress 0x7c00; Step-VirtMachine -Name dbg -Count 5</code>
/// <para>Runs the first five instructions of the boot image and shows the next one.</para>
/// </example>
[Cmdlet(VerbsCommon.Step, "VirtMachine", SupportsShouldProcess = true)]
[OutputType(typeof(StepResult))]
public sealed class StepVirtMachineCommand : MachineCmdlet
{
    /// <summary>
    /// <para>How many instructions to execute (default 1).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long Count { get; set; } = 1;

    protected override void ProcessRecord()
    {
        foreach (var machine in Select<IMachineDebugger>())
        {
            if (!ShouldProcess(machine.Name, $"Execute {Count} instruction(s)"))
            {
                continue;
            }
            try
            {
                WriteObject(Invoke(() => machine.Step(Count)));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, machine.Name);
            }
        }
    }
}
