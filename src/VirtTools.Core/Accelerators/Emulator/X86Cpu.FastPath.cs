using System.Runtime.CompilerServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The hot executor's handlers, one generic method per instruction form, compiled by the JIT
/// once per operand size (<see cref="IOperandSize"/>): register access, masks, memory access and
/// the lazy-flag record lose their size branches. The decoder picks the form and size
/// (<see cref="FastOps.Select"/>); semantics are those of the same <see cref="Op"/> in
/// <see cref="ExecuteCold"/>, which still handles every instruction the decoder left at
/// <see cref="FastOp.None"/>.
/// Each handler is its own compiled method (NoInlining): inside it the JIT inlines all of the
/// register, ALU and memory access with the size constant, and the one big switch in
/// <see cref="Execute"/> no longer runs out of inlining budget half-way through its cases (which
/// left some handlers as calls anyway, and some size constants as property calls).
/// AggressiveOptimization: compiled optimized on first use. With tiering they ran unoptimized
/// first, and in a busy process (PowerShell loading modules) the promotion waited for seconds of
/// guest time (a third of the emulator's samples in a 160 M instruction run were tier-0 code).
/// </summary>
public sealed partial class X86Cpu
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Advance(ref Insn i) => Rip = (Rip + i.Length) & IpMask;

    /// <summary>ALU between two registers; CMP (Sub 7) only sets flags.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void AluRegReg<S>(ref Insn i, int dst, int src) where S : struct, IOperandSize
    {
        ulong r = Alu(i.Sub, GetReg(dst, S.Bytes), GetReg(src, S.Bytes), S.Bytes);
        if (i.Sub != 7) { SetReg(dst, S.Bytes, r); }
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void AluRegMem<S>(ref Insn i) where S : struct, IOperandSize
    {
        ulong r = Alu(i.Sub, GetReg(i.Reg, S.Bytes), ReadMem(Linear(ref i), S.Bytes), S.Bytes);
        if (i.Sub != 7) { SetReg(i.Reg, S.Bytes, r); }
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void AluMemReg<S>(ref Insn i) where S : struct, IOperandSize
    {
        ulong lin = Linear(ref i);
        ulong r = Alu(i.Sub, ReadMem(lin, S.Bytes), GetReg(i.Reg, S.Bytes), S.Bytes);
        if (i.Sub != 7) { WriteMem(lin, S.Bytes, r); }
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void AluRegImm<S>(ref Insn i) where S : struct, IOperandSize
    {
        ulong r = Alu(i.Sub, GetReg(i.Rm, S.Bytes), (ulong)i.Imm, S.Bytes);
        if (i.Sub != 7) { SetReg(i.Rm, S.Bytes, r); }
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void AluMemImm<S>(ref Insn i) where S : struct, IOperandSize
    {
        ulong lin = Linear(ref i);
        ulong r = Alu(i.Sub, ReadMem(lin, S.Bytes), (ulong)i.Imm, S.Bytes);
        if (i.Sub != 7) { WriteMem(lin, S.Bytes, r); }
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void MovRegReg<S>(ref Insn i, int dst, int src) where S : struct, IOperandSize
    {
        SetReg(dst, S.Bytes, GetReg(src, S.Bytes));
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void MovRegMem<S>(ref Insn i) where S : struct, IOperandSize
    {
        SetReg(i.Reg, S.Bytes, ReadMem(Linear(ref i), S.Bytes));
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void MovMemReg<S>(ref Insn i) where S : struct, IOperandSize
    {
        WriteMem(Linear(ref i), S.Bytes, GetReg(i.Reg, S.Bytes));
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void MovRegImm<S>(ref Insn i) where S : struct, IOperandSize
    {
        SetReg(i.Rm, S.Bytes, (ulong)i.Imm);
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void MovMemImm<S>(ref Insn i) where S : struct, IOperandSize
    {
        WriteMem(Linear(ref i), S.Bytes, (ulong)i.Imm);
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void LeaReg<S>(ref Insn i) where S : struct, IOperandSize
    {
        SetReg(i.Reg, S.Bytes, EffectiveAddress(ref i));
        Advance(ref i);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void JumpIf<S>(ref Insn i) where S : struct, IOperandSize
    {
        ulong next = (Rip + i.Length) & IpMask;
        Rip = Condition(i.Sub) ? BranchTarget(next + (ulong)i.Imm, S.Bytes) : next;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void Jump<S>(ref Insn i) where S : struct, IOperandSize
    {
        ulong next = (Rip + i.Length) & IpMask;
        Rip = BranchTarget(next + (ulong)i.Imm, S.Bytes);
    }
}
