using VirtTools.Accelerators.Emulator;

namespace VirtTools.Machine;

/// <summary>
/// What Get-VirtMachineRegister and the debugger cmdlets need from a machine, wherever it runs. The
/// stepping and breakpoint members need the Emulator accelerator (DebuggerNeedsEmulator otherwise);
/// registers and disassembly work on every accelerator.
/// </summary>
public interface IMachineDebugger : IMachineControl
{
    /// <summary>The registers of vCPU <paramref name="processor"/> (0, the bootstrap processor, by default).</summary>
    MachineRegisters Registers(int processor = 0);

    /// <summary>Executes up to <paramref name="count"/> instructions (fewer at HLT, a breakpoint or a triple fault).</summary>
    StepResult Step(long count);

    /// <summary><paramref name="count"/> instructions at a linear <paramref name="address"/> (default CS:RIP).</summary>
    IReadOnlyList<DisassemblyLine> Disassemble(ulong? address, int count);

    /// <summary>A breakpoint on an instruction address, or (address null) on an I/O port.</summary>
    MachineBreakpoint AddBreakpoint(ulong? address, ushort? port);

    /// <summary>False when the machine had no such breakpoint.</summary>
    bool RemoveBreakpoint(MachineBreakpoint breakpoint);

    IReadOnlyList<MachineBreakpoint> Breakpoints();
}
