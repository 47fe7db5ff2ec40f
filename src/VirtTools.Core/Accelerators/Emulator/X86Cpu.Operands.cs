using System.Runtime.CompilerServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>Register, memory and stack operand access for the executor.</summary>
public sealed partial class X86Cpu
{
    /// <summary>
    /// Register <paramref name="r"/> without a bounds check: the decoder only produces 0..15 (and
    /// 16..19 for AH..BH in byte form, which callers map to 0..3), so the hot path skips the check.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ulong RegRef(int r) => ref Unsafe.Add(ref R[0], (nint)(uint)r);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong GetReg(int r, int size)
    {
        switch (size)
        {
            case 1: return r < 16 ? (byte)RegRef(r) : (byte)(RegRef(r - 16) >> 8);
            case 2: return (ushort)RegRef(r);
            case 4: return (uint)RegRef(r);
            default: return RegRef(r);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetReg(int r, int size, ulong v)
    {
        switch (size)
        {
            case 1:
                if (r < 16) { ref ulong x = ref RegRef(r); x = (x & ~0xFFUL) | (byte)v; }
                else { ref ulong x = ref RegRef(r - 16); x = (x & ~0xFF00UL) | ((ulong)(byte)v << 8); }
                break;
            case 2: { ref ulong x = ref RegRef(r); x = (x & ~0xFFFFUL) | (ushort)v; break; }
            case 4: RegRef(r) = (uint)v; break;
            default: RegRef(r) = v; break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong EffectiveAddress(ref Insn i)
    {
        ulong a = (ulong)i.Disp;
        if (i.Rm != Insn.NoReg)
        {
            a += i.Rm == Insn.RipBase ? Rip + i.Length : RegRef(i.Rm);
        }
        if (i.Index != Insn.NoReg)
        {
            a += RegRef(i.Index) << i.Scale;
        }
        return i.AddrSize switch { 2 => a & 0xFFFF, 4 => a & 0xFFFFFFFF, _ => a };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Linear(ref Insn i)
    {
        ulong ea = EffectiveAddress(ref i);
        if (i.AddrSize == 2 && ea + i.OpSize > 0x10000 && ea + i.OpSize - 1 > Seg[i.Seg].Limit)
        {
            SegmentWrap(i.Seg);
        }
        return (Unsafe.Add(ref SegBase[0], (nint)i.Seg) + ea) & LinearMask;
    }

    /// <summary>
    /// An operand that runs past offset FFFFh and past its segment's limit: #SS(0) for the stack
    /// segment, #GP(0) otherwise (the 286+ limit check; the 8086 wrapped inside the segment). Only
    /// checked for 16-bit addressing; a protected-mode segment longer than 64 KiB (or a big real
    /// mode one) takes an operand that straddles offset FFFFh without a fault.
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong BranchTarget(ulong target, int size) =>
        size switch { 2 => target & 0xFFFF, 4 => target & 0xFFFFFFFF, _ => target };
}
