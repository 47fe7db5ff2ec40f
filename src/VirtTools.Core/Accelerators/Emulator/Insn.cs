using System.Runtime.InteropServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// One decoded instruction in the emulator's compact form. Decoded once per code block and
/// executed many times, so every field the executor needs is resolved here: operand and address
/// size, the register numbers (byte registers AH..BH as 16..19), the effective-address parts and
/// the immediate.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Insn
{
    public const byte NoReg = 0xFF;
    public const byte RipBase = 16;

    /// <summary>What to do.</summary>
    public Op Op;
    /// <summary>Encoded length in bytes.</summary>
    public byte Length;
    /// <summary>Operand size in bytes (1, 2, 4 or 8).</summary>
    public byte OpSize;
    /// <summary>Address size in bytes (2, 4 or 8).</summary>
    public byte AddrSize;
    /// <summary>Segment register index of the memory operand (default or override).</summary>
    public byte Seg;
    /// <summary>ModRM.reg with REX.R, or the register of a short form; 16..19 are AH, CH, DH, BH.</summary>
    public byte Reg;
    /// <summary>The register operand when <see cref="IsMem"/> is false, else the base register (or NoReg, or RipBase).</summary>
    public byte Rm;
    /// <summary>SIB index register or NoReg.</summary>
    public byte Index;
    /// <summary>SIB scale as a shift count.</summary>
    public byte Scale;
    /// <summary>Group sub-operation (ALU kind, shift kind, condition code, source size).</summary>
    public byte Sub;
    /// <summary>InsnFlags bits.</summary>
    public byte Flags;
    /// <summary>
    /// SSE only: the floating-point form (<see cref="SimdForm"/>: the mandatory prefix) or the
    /// integer element size in bytes. Sits in what was padding before <see cref="Disp"/>.
    /// </summary>
    public byte Simd;
    /// <summary>The hot executor's specialised form of this instruction (<see cref="FastOps.Select"/>); also in former padding.</summary>
    public FastOp Fast;
    /// <summary>Displacement (or absolute offset for moffs forms).</summary>
    public long Disp;
    /// <summary>Immediate, sign- or zero-extended as the operation needs.</summary>
    public long Imm;
    /// <summary>Second immediate (far pointer selector, ENTER level).</summary>
    public int Imm2;

    public readonly bool IsMem => (Flags & InsnFlags.Mem) != 0;
}

/// <summary>Bits of <see cref="Insn.Flags"/>.</summary>
internal static class InsnFlags
{
    public const byte Mem = 1;
    public const byte Rep = 2;
    public const byte RepNe = 4;
    public const byte Lock = 8;
    /// <summary>Ends a block: the instruction changes control flow or CPU mode.</summary>
    public const byte EndsBlock = 16;
    /// <summary>A segment override prefix was present.</summary>
    public const byte SegOverride = 32;
}
