using System.Runtime.CompilerServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>Register, memory and stack operand access for the executor.</summary>
public sealed partial class X86Cpu
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong GetReg(int r, int size)
    {
        switch (size)
        {
            case 1: return r < 16 ? (byte)R[r] : (byte)(R[r - 16] >> 8);
            case 2: return (ushort)R[r];
            case 4: return (uint)R[r];
            default: return R[r];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetReg(int r, int size, ulong v)
    {
        switch (size)
        {
            case 1:
                if (r < 16) { R[r] = (R[r] & ~0xFFUL) | (byte)v; }
                else { R[r - 16] = (R[r - 16] & ~0xFF00UL) | ((ulong)(byte)v << 8); }
                break;
            case 2: R[r] = (R[r] & ~0xFFFFUL) | (ushort)v; break;
            case 4: R[r] = (uint)v; break;
            default: R[r] = v; break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong EffectiveAddress(ref Insn i)
    {
        ulong a = (ulong)i.Disp;
        if (i.Rm != Insn.NoReg)
        {
            a += i.Rm == Insn.RipBase ? Rip + i.Length : R[i.Rm];
        }
        if (i.Index != Insn.NoReg)
        {
            a += R[i.Index] << i.Scale;
        }
        return i.AddrSize switch { 2 => a & 0xFFFF, 4 => a & 0xFFFFFFFF, _ => a };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Linear(ref Insn i)
    {
        ulong ea = EffectiveAddress(ref i);
        if (i.AddrSize == 2 && ea + i.OpSize > 0x10000)
        {
            SegmentWrap(i.Seg);
        }
        return (SegBase[i.Seg] + ea) & LinearMask;
    }

    /// <summary>
    /// An operand that runs past offset FFFFh of a 64 KiB segment: #SS(0) for the stack segment,
    /// #GP(0) otherwise (the 286+ limit check; the 8086 wrapped inside the segment). Only checked
    /// for 16-bit addressing, where segments are 64 KiB in practice.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void SegmentWrap(int seg) => throw new GuestFault(seg == X86Decoder.SS ? Vectors.SS : Vectors.GP, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Linear(int seg, ulong offset) => (SegBase[seg] + offset) & LinearMask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong ReadRm(ref Insn i) => i.IsMem ? ReadMem(Linear(ref i), i.OpSize) : GetReg(i.Rm, i.OpSize);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteRm(ref Insn i, ulong v)
    {
        if (i.IsMem) { WriteMem(Linear(ref i), i.OpSize, v); }
        else { SetReg(i.Rm, i.OpSize, v); }
    }

    internal ulong StackMask => StackSize switch { 2 => 0xFFFF, 4 => 0xFFFFFFFF, _ => ~0UL };

    internal void SetSp(ulong sp)
    {
        switch (StackSize)
        {
            case 2: R[RSP] = (R[RSP] & ~0xFFFFUL) | (ushort)sp; break;
            case 4: R[RSP] = (uint)sp; break;
            default: R[RSP] = sp; break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Push(ulong v, int size)
    {
        ulong sp = (R[RSP] - (ulong)size) & StackMask;
        if (StackSize == 2 && sp > 0x10000 - (ulong)size) { SegmentWrap(X86Decoder.SS); }
        WriteMem(Linear(X86Decoder.SS, sp), size, v);
        SetSp(sp);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Pop(int size)
    {
        ulong sp = R[RSP] & StackMask;
        if (StackSize == 2 && sp > 0x10000 - (ulong)size) { SegmentWrap(X86Decoder.SS); }
        ulong v = ReadMem(Linear(X86Decoder.SS, sp), size);
        SetSp(sp + (ulong)size);
        return v;
    }

    /// <summary>Reads the stack slot <paramref name="offset"/> bytes above SP without popping.</summary>
    internal ulong PeekStack(int offset, int size) =>
        ReadMem(Linear(X86Decoder.SS, (R[RSP] + (ulong)offset) & StackMask), size);

    /// <summary>Instruction pointer after a branch, truncated to the operand size.</summary>
    internal ulong BranchTarget(ulong target, int size) =>
        size switch { 2 => target & 0xFFFF, 4 => target & 0xFFFFFFFF, _ => target };
}
