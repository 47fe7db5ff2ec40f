namespace VirtTools.Accelerators.Emulator;

/// <summary>Why <see cref="X86Cpu.Run"/> returned.</summary>
public enum CpuExit
{
    /// <summary>The instruction budget ran out.</summary>
    BudgetExhausted,
    /// <summary>HLT with nothing to wake it: the caller waits for an interrupt and runs again.</summary>
    Halted,
    /// <summary>A triple fault: on a PC this resets the machine; VirtTools reports Crashed.</summary>
    TripleFault,
    /// <summary>Execution reached an address breakpoint (before executing it).</summary>
    Breakpoint,
    /// <summary>A port breakpoint matched (after the access).</summary>
    PortBreakpoint,
    /// <summary>An instruction did port I/O and <see cref="X86Cpu.ExitOnPortIo"/> is set.</summary>
    PortIo,
    /// <summary>Someone called <see cref="X86Cpu.RequestStop"/>.</summary>
    Stopped,
}
