using System.Runtime.CompilerServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// RAX..R15 stored inside the <see cref="X86Cpu"/> object rather than in a separate array: a
/// register access is one load at a fixed offset from the CPU, without loading an array
/// reference and checking it for null first (the executor does several per instruction).
/// </summary>
[InlineArray(16)]
internal struct GeneralRegisters
{
    private ulong first;
}

/// <summary>The six segment bases used for addressing, inline in the CPU for the same reason.</summary>
[InlineArray(6)]
internal struct SegmentBases
{
    private ulong first;
}
