using System.Runtime.CompilerServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The executor: a switch over the decoder's size-specialised hot forms (<see cref="Execute"/>,
/// handlers in X86Cpu.FastPath), and one over all of <see cref="Op"/> for the rest
/// (<see cref="ExecuteCold"/>), so the hot method keeps a small stack frame (a large one costs a
/// zeroing loop on every instruction). RIP points at the
/// instruction while it runs, so a fault leaves it there for restart; ordinary instructions
/// advance RIP, control transfers set it and return.
/// </summary>
public sealed partial class X86Cpu
{
    /// <summary>
    /// Executes one instruction: the forms the decoder specialised (<see cref="FastOp"/>) here,
    /// everything else in <see cref="ExecuteCold"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Execute(ref Insn i)
    {
        switch (i.Fast)
        {
            case FastOp.AluRegReg1: AluRegReg<Size1>(ref i, i.Rm, i.Reg); return;
            case FastOp.AluRegReg2: AluRegReg<Size2>(ref i, i.Rm, i.Reg); return;
            case FastOp.AluRegReg4: AluRegReg<Size4>(ref i, i.Rm, i.Reg); return;
            case FastOp.AluRegReg8: AluRegReg<Size8>(ref i, i.Rm, i.Reg); return;
            case FastOp.AluRegRegRev1: AluRegReg<Size1>(ref i, i.Reg, i.Rm); return;
            case FastOp.AluRegRegRev2: AluRegReg<Size2>(ref i, i.Reg, i.Rm); return;
            case FastOp.AluRegRegRev4: AluRegReg<Size4>(ref i, i.Reg, i.Rm); return;
            case FastOp.AluRegRegRev8: AluRegReg<Size8>(ref i, i.Reg, i.Rm); return;
            case FastOp.AluRegMem1: AluRegMem<Size1>(ref i); return;
            case FastOp.AluRegMem2: AluRegMem<Size2>(ref i); return;
            case FastOp.AluRegMem4: AluRegMem<Size4>(ref i); return;
            case FastOp.AluRegMem8: AluRegMem<Size8>(ref i); return;
            case FastOp.AluMemReg1: AluMemReg<Size1>(ref i); return;
            case FastOp.AluMemReg2: AluMemReg<Size2>(ref i); return;
            case FastOp.AluMemReg4: AluMemReg<Size4>(ref i); return;
            case FastOp.AluMemReg8: AluMemReg<Size8>(ref i); return;
            case FastOp.AluRegImm1: AluRegImm<Size1>(ref i); return;
            case FastOp.AluRegImm2: AluRegImm<Size2>(ref i); return;
            case FastOp.AluRegImm4: AluRegImm<Size4>(ref i); return;
            case FastOp.AluRegImm8: AluRegImm<Size8>(ref i); return;
            case FastOp.AluMemImm1: AluMemImm<Size1>(ref i); return;
            case FastOp.AluMemImm2: AluMemImm<Size2>(ref i); return;
            case FastOp.AluMemImm4: AluMemImm<Size4>(ref i); return;
            case FastOp.AluMemImm8: AluMemImm<Size8>(ref i); return;
            case FastOp.MovRegReg1: MovRegReg<Size1>(ref i, i.Rm, i.Reg); return;
            case FastOp.MovRegReg2: MovRegReg<Size2>(ref i, i.Rm, i.Reg); return;
            case FastOp.MovRegReg4: MovRegReg<Size4>(ref i, i.Rm, i.Reg); return;
            case FastOp.MovRegReg8: MovRegReg<Size8>(ref i, i.Rm, i.Reg); return;
            case FastOp.MovRegRegRev1: MovRegReg<Size1>(ref i, i.Reg, i.Rm); return;
            case FastOp.MovRegRegRev2: MovRegReg<Size2>(ref i, i.Reg, i.Rm); return;
            case FastOp.MovRegRegRev4: MovRegReg<Size4>(ref i, i.Reg, i.Rm); return;
            case FastOp.MovRegRegRev8: MovRegReg<Size8>(ref i, i.Reg, i.Rm); return;
            case FastOp.MovRegMem1: MovRegMem<Size1>(ref i); return;
            case FastOp.MovRegMem2: MovRegMem<Size2>(ref i); return;
            case FastOp.MovRegMem4: MovRegMem<Size4>(ref i); return;
            case FastOp.MovRegMem8: MovRegMem<Size8>(ref i); return;
            case FastOp.MovMemReg1: MovMemReg<Size1>(ref i); return;
            case FastOp.MovMemReg2: MovMemReg<Size2>(ref i); return;
            case FastOp.MovMemReg4: MovMemReg<Size4>(ref i); return;
            case FastOp.MovMemReg8: MovMemReg<Size8>(ref i); return;
            case FastOp.MovRegImm1: MovRegImm<Size1>(ref i); return;
            case FastOp.MovRegImm2: MovRegImm<Size2>(ref i); return;
            case FastOp.MovRegImm4: MovRegImm<Size4>(ref i); return;
            case FastOp.MovRegImm8: MovRegImm<Size8>(ref i); return;
            case FastOp.MovMemImm1: MovMemImm<Size1>(ref i); return;
            case FastOp.MovMemImm2: MovMemImm<Size2>(ref i); return;
            case FastOp.MovMemImm4: MovMemImm<Size4>(ref i); return;
            case FastOp.MovMemImm8: MovMemImm<Size8>(ref i); return;
            case FastOp.Lea2: LeaReg<Size2>(ref i); return;
            case FastOp.Lea4: LeaReg<Size4>(ref i); return;
            case FastOp.Lea8: LeaReg<Size8>(ref i); return;
            case FastOp.Jcc2: JumpIf<Size2>(ref i); return;
            case FastOp.Jcc4: JumpIf<Size4>(ref i); return;
            case FastOp.Jcc8: JumpIf<Size8>(ref i); return;
            case FastOp.Jmp2: Jump<Size2>(ref i); return;
            case FastOp.Jmp4: Jump<Size4>(ref i); return;
            case FastOp.Jmp8: Jump<Size8>(ref i); return;
            default:
                ExecuteCold(ref i, (Rip + i.Length) & IpMask);
                return;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ExecuteCold(ref Insn i, ulong next)
    {
        int size = i.OpSize;
        switch (i.Op)
        {
            case Op.AluRmReg:
                if (i.IsMem)
                {
                    ulong lin = Linear(ref i);
                    ulong r = Alu(i.Sub, ReadMem(lin, size), GetReg(i.Reg, size), size);
                    if (i.Sub != 7) { WriteMem(lin, size, r); }
                }
                else
                {
                    ulong r = Alu(i.Sub, GetReg(i.Rm, size), GetReg(i.Reg, size), size);
                    if (i.Sub != 7) { SetReg(i.Rm, size, r); }
                }
                break;
            case Op.AluRegRm:
                {
                    ulong r = Alu(i.Sub, GetReg(i.Reg, size), ReadRm(ref i), size);
                    if (i.Sub != 7) { SetReg(i.Reg, size, r); }
                    break;
                }
            case Op.AluRmImm:
                if (i.IsMem)
                {
                    ulong lin = Linear(ref i);
                    ulong r = Alu(i.Sub, ReadMem(lin, size), (ulong)i.Imm, size);
                    if (i.Sub != 7) { WriteMem(lin, size, r); }
                }
                else
                {
                    ulong r = Alu(i.Sub, GetReg(i.Rm, size), (ulong)i.Imm, size);
                    if (i.Sub != 7) { SetReg(i.Rm, size, r); }
                }
                break;
            case Op.TestRmReg:
                Alu(4, ReadRm(ref i), GetReg(i.Reg, size), size);
                break;
            case Op.TestRmImm:
                Alu(4, ReadRm(ref i), (ulong)i.Imm, size);
                break;
            case Op.IncRm:
            case Op.DecRm:
                {
                    ulong lin = i.IsMem ? Linear(ref i) : 0;
                    ulong a = (i.IsMem ? ReadMem(lin, size) : GetReg(i.Rm, size)) & Mask(size);
                    bool inc = i.Op == Op.IncRm;
                    ulong r = (inc ? a + 1 : a - 1) & Mask(size);
                    if (i.IsMem) { WriteMem(lin, size, r); } else { SetReg(i.Rm, size, r); }
                    SetLazyKeepCarry(inc ? LazyInc : LazyDec, a, r, size);
                    break;
                }
            case Op.NotRm:
                {
                    ulong lin = i.IsMem ? Linear(ref i) : 0;
                    ulong a = i.IsMem ? ReadMem(lin, size) : GetReg(i.Rm, size);
                    if (i.IsMem) { WriteMem(lin, size, ~a); } else { SetReg(i.Rm, size, ~a); }
                    break;
                }
            case Op.NegRm:
                {
                    ulong lin = i.IsMem ? Linear(ref i) : 0;
                    ulong a = (i.IsMem ? ReadMem(lin, size) : GetReg(i.Rm, size)) & Mask(size);
                    ulong r = (0 - a) & Mask(size);
                    if (i.IsMem) { WriteMem(lin, size, r); } else { SetReg(i.Rm, size, r); }
                    SetLazy(LazySub, 0, a, r, size);
                    break;
                }
            case Op.MulRm: Multiply(ReadRm(ref i), size, false); break;
            case Op.ImulRm: Multiply(ReadRm(ref i), size, true); break;
            case Op.DivRm: Divide(ReadRm(ref i), size, false); break;
            case Op.IdivRm: Divide(ReadRm(ref i), size, true); break;
            case Op.ImulRegRm: SetReg(i.Reg, size, ImulTruncating(GetReg(i.Reg, size), ReadRm(ref i), size)); break;
            case Op.ImulRegRmImm: SetReg(i.Reg, size, ImulTruncating(ReadRm(ref i), (ulong)i.Imm, size)); break;
            case Op.ShiftRmImm:
            case Op.ShiftRmCl:
                {
                    int count = i.Op == Op.ShiftRmImm ? (int)i.Imm : (byte)R[RCX];
                    ulong lin = i.IsMem ? Linear(ref i) : 0;
                    ulong a = i.IsMem ? ReadMem(lin, size) : GetReg(i.Rm, size);
                    ulong r = Shift(i.Sub, a, count, size);
                    if (i.IsMem) { WriteMem(lin, size, r); } else { SetReg(i.Rm, size, r); }
                    break;
                }
            case Op.ShldImm: case Op.ShldCl: case Op.ShrdImm: case Op.ShrdCl:
                {
                    int count = i.Op is Op.ShldImm or Op.ShrdImm ? (int)i.Imm : (byte)R[RCX];
                    ulong lin = i.IsMem ? Linear(ref i) : 0;
                    ulong a = i.IsMem ? ReadMem(lin, size) : GetReg(i.Rm, size);
                    ulong r = DoubleShift(i.Op is Op.ShldImm or Op.ShldCl, a, GetReg(i.Reg, size), count, size);
                    if (i.IsMem) { WriteMem(lin, size, r); } else { SetReg(i.Rm, size, r); }
                    break;
                }
            case Op.MovRmReg: WriteRm(ref i, GetReg(i.Reg, size)); break;
            case Op.MovRegRm: SetReg(i.Reg, size, ReadRm(ref i)); break;
            case Op.MovRmImm: WriteRm(ref i, (ulong)i.Imm); break;
            case Op.MovRmSreg: WriteRm(ref i, Seg[i.Reg].Selector); break;
            case Op.MovSregRm:
                LoadSegment(i.Reg, (ushort)ReadRm(ref i));
                if (i.Reg == X86Decoder.SS) { interruptShadow = debugShadow = true; }
                break;
            case Op.Lea: SetReg(i.Reg, size, EffectiveAddress(ref i)); break;
            case Op.Movzx:
                {
                    ulong v = i.IsMem ? ReadMem(Linear(ref i), i.Sub) : GetReg(i.Rm, i.Sub);
                    SetReg(i.Reg, size, v);
                    break;
                }
            case Op.Movsx:
                {
                    ulong v = i.IsMem ? ReadMem(Linear(ref i), i.Sub) : GetReg(i.Rm, i.Sub);
                    SetReg(i.Reg, size, (ulong)SignExtend(v, i.Sub));
                    break;
                }
            case Op.Movsxd:
                {
                    ulong v = i.IsMem ? ReadMem(Linear(ref i), 4) : GetReg(i.Rm, 4);
                    SetReg(i.Reg, size, (ulong)(long)(int)v);
                    break;
                }
            case Op.XchgRmReg:
                {
                    ulong lin = i.IsMem ? Linear(ref i) : 0;
                    ulong a = i.IsMem ? ReadMem(lin, size) : GetReg(i.Rm, size);
                    ulong b = GetReg(i.Reg, size);
                    if (i.IsMem) { WriteMem(lin, size, b); } else { SetReg(i.Rm, size, b); }
                    SetReg(i.Reg, size, a);
                    break;
                }
            case Op.Xadd:
                {
                    ulong lin = i.IsMem ? Linear(ref i) : 0;
                    ulong a = i.IsMem ? ReadMem(lin, size) : GetReg(i.Rm, size);
                    ulong b = GetReg(i.Reg, size);
                    ulong r = Alu(0, a, b, size);
                    // SDM order: SRC <- DEST, then DEST <- sum (so XADD r, r leaves the sum).
                    if (i.IsMem) { WriteMem(lin, size, r); SetReg(i.Reg, size, a); }
                    else { SetReg(i.Reg, size, a); SetReg(i.Rm, size, r); }
                    break;
                }
            case Op.Cmpxchg:
                {
                    ulong lin = i.IsMem ? Linear(ref i) : 0;
                    ulong a = i.IsMem ? ReadMem(lin, size) : GetReg(i.Rm, size);
                    Alu(7, GetReg(RAX, size), a, size);
                    if (lazyR == 0)
                    {
                        ulong v = GetReg(i.Reg, size);
                        if (i.IsMem) { WriteMem(lin, size, v); } else { SetReg(i.Rm, size, v); }
                    }
                    else
                    {
                        // The destination is written back even when the compare fails (SDM CMPXCHG).
                        if (i.IsMem) { WriteMem(lin, size, a); }
                        SetReg(RAX, size, a);
                    }
                    break;
                }
            case Op.Cmpxchg8b:
                {
                    ulong lin = Linear(ref i);
                    if (size == 8)
                    {
                        throw new GuestFault(Vectors.UD);
                    }
                    ulong mem = ReadMem(lin, 8);
                    ulong cmp = (uint)R[RAX] | ((ulong)(uint)R[RDX] << 32);
                    if (mem == cmp)
                    {
                        WriteMem(lin, 8, (uint)R[RBX] | ((ulong)(uint)R[RCX] << 32));
                        SetArith(ZF, ZF);
                    }
                    else
                    {
                        WriteMem(lin, 8, mem);
                        R[RAX] = (uint)mem;
                        R[RDX] = mem >> 32;
                        SetArith(ZF, 0);
                    }
                    break;
                }
            case Op.Bswap:
                if (size == 8) { R[i.Rm] = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(R[i.Rm]); }
                else if (size == 4) { R[i.Rm] = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)R[i.Rm]); }
                else { SetReg(i.Rm, 2, 0); }
                break;
            case Op.PushImm: Push((ulong)i.Imm, size); break;
            case Op.PushRm:
                {
                    ulong v = i.IsMem ? ReadMem(Linear(ref i), size) : GetReg(i.Rm, size);
                    Push(v, size);
                    break;
                }
            case Op.PushSreg: Push(Seg[i.Reg].Selector, size); break;
            case Op.PopRm:
                if (i.IsMem)
                {
                    // The address uses the incremented stack pointer (SDM POP); undo it on a fault.
                    ulong sp = R[RSP];
                    ulong v = Pop(size);
                    try { WriteMem(Linear(ref i), size, v); }
                    catch (GuestFault) { R[RSP] = sp; throw; }
                }
                else
                {
                    ulong v = Pop(size);
                    SetReg(i.Rm, size, v);
                }
                break;
            case Op.PopSreg:
                {
                    ulong sp = R[RSP];
                    ushort v = (ushort)Pop(size);
                    try { LoadSegment(i.Reg, v); }
                    catch (GuestFault) { R[RSP] = sp; throw; }
                    if (i.Reg == X86Decoder.SS) { interruptShadow = debugShadow = true; }
                    break;
                }
            case Op.Pusha:
                {
                    ulong sp = R[RSP];
                    for (int r = 0; r < 8; r++)
                    {
                        Push(r == RSP ? sp : R[r], size);
                    }
                    break;
                }
            case Op.Popa:
                for (int r = 7; r >= 0; r--)
                {
                    ulong v = Pop(size);
                    if (r != RSP) { SetReg(r, size, v); }
                }
                break;
            case Op.Pushf:
                if (Virtual8086 && ((eflags >> 12) & 3) != 3) { throw new GuestFault(Vectors.GP, 0); }
                Push(GetFlags() & 0xFCFFFF, size);
                break;
            case Op.Popf: PopFlags(size); break;
            case Op.Enter: Enter((int)i.Imm, i.Imm2 & 31, size); break;
            case Op.Leave:
                {
                    SetSp(R[RBP]);
                    ulong v = Pop(size);
                    SetReg(RBP, size, v);
                    break;
                }
            case Op.Cbw:
                SetReg(RAX, size, (ulong)SignExtend(GetReg(RAX, size / 2), size / 2));
                break;
            case Op.Cwd:
                SetReg(RDX, size, (GetReg(RAX, size) & SignBit(size)) != 0 ? ~0UL : 0);
                break;
            case Op.Sahf: SetArith(CF | PF | AF | ZF | SF, (uint)(R[RAX] >> 8)); break;
            case Op.Lahf: SetReg(16, 1, (GetFlags() & 0xD5u) | 2u); break;
            case Op.Cmc: SetCFOnly(!GetCF()); break;
            case Op.Clc: SetCFOnly(false); break;
            case Op.Stc: SetCFOnly(true); break;
            case Op.Cli: CheckIopl(); eflags &= ~IF; break;
            case Op.Sti:
                CheckIopl();
                if ((eflags & IF) == 0) { interruptShadow = true; }
                eflags |= IF;
                break;
            case Op.Cld: eflags &= ~DF; break;
            case Op.Std: eflags |= DF; break;
            case Op.Salc: SetReg(RAX, 1, GetCF() ? 0xFFUL : 0); break;
            case Op.Xlat:
                SetReg(RAX, 1, ReadMem(Linear(i.Seg, (GetReg(RBX, i.AddrSize) + (byte)R[RAX]) & Mask(i.AddrSize)), 1));
                break;
            case Op.Daa: case Op.Das: case Op.Aaa: case Op.Aas: Bcd(i.Op); break;
            case Op.Aam:
                {
                    byte b = (byte)i.Imm;
                    if (b == 0) { throw new GuestFault(Vectors.DE); }
                    byte al = (byte)R[RAX];
                    ulong r = (uint)(al % b) | ((uint)(al / b) << 8);
                    SetReg(RAX, 2, r);
                    SetArith(ArithFlags, Szp(r, 1));
                    break;
                }
            case Op.Aad:
                {
                    byte al = (byte)R[RAX], ah = (byte)(R[RAX] >> 8);
                    ulong r = (byte)(al + ah * (byte)i.Imm);
                    SetReg(RAX, 2, r);
                    SetArith(ArithFlags, Szp(r, 1));
                    break;
                }
            case Op.Jcc:
                Rip = Condition(i.Sub) ? BranchTarget(next + (ulong)i.Imm, size) : next;
                return;
            case Op.Jmp:
                Rip = BranchTarget(next + (ulong)i.Imm, size);
                return;
            case Op.JmpRm:
                Rip = BranchTarget(ReadRm(ref i), size);
                return;
            case Op.Call:
                Push(next, size);
                Rip = BranchTarget(next + (ulong)i.Imm, size);
                return;
            case Op.CallRm:
                {
                    ulong target = ReadRm(ref i);
                    Push(next, size);
                    Rip = BranchTarget(target, size);
                    return;
                }
            case Op.Ret:
                {
                    ulong target = Pop(size);
                    SetSp(R[RSP] + (ulong)i.Imm);
                    Rip = BranchTarget(target, size);
                    return;
                }
            case Op.JmpFar: FarJump((ushort)i.Imm2, (ulong)i.Imm, next); return;
            case Op.CallFar: FarCall((ushort)i.Imm2, (ulong)i.Imm, size, next); return;
            case Op.JmpFarMem:
            case Op.CallFarMem:
                {
                    ulong lin = Linear(ref i);
                    ulong offset = ReadMem(lin, size);
                    ushort sel = (ushort)ReadMem((lin + (ulong)size) & LinearMask, 2);
                    if (i.Op == Op.JmpFarMem) { FarJump(sel, offset, next); }
                    else { FarCall(sel, offset, size, next); }
                    return;
                }
            case Op.Retf: FarReturn(size, (int)i.Imm); return;
            case Op.Iret: InterruptReturn(size, next); return;
            case Op.Loop:
                {
                    int asz = i.AddrSize;
                    bool jump;
                    if (i.Sub == 3)
                    {
                        jump = GetReg(RCX, asz) == 0;
                    }
                    else
                    {
                        ulong c = (GetReg(RCX, asz) - 1) & Mask(asz);
                        SetReg(RCX, asz, c);
                        jump = c != 0 && (i.Sub == 2 || (i.Sub == 1) == GetZF());
                    }
                    Rip = jump ? BranchTarget(next + (ulong)i.Imm, size) : next;
                    return;
                }
            case Op.Int: SoftwareInterrupt((int)i.Imm, next); return;
            case Op.Int3: SoftwareInterrupt(Vectors.BP, next); return;
            case Op.Int1: DeliverInterrupt(Vectors.DB, null, next, InterruptSource.Exception); return;
            case Op.Into:
                if (GetOF()) { SoftwareInterrupt(Vectors.OF, next); return; }
                break;
            case Op.Bound:
                {
                    ulong lin = Linear(ref i);
                    long idx = SignExtend(GetReg(i.Reg, size), size);
                    long lo = SignExtend(ReadMem(lin, size), size);
                    long hi = SignExtend(ReadMem((lin + (ulong)size) & LinearMask, size), size);
                    if (idx < lo || idx > hi) { throw new GuestFault(Vectors.BR); }
                    break;
                }
            case Op.InImm: CheckIo(); SetReg(RAX, size, PortIn((ushort)i.Imm, size)); break;
            case Op.InDx: CheckIo(); SetReg(RAX, size, PortIn((ushort)R[RDX], size)); break;
            case Op.OutImm: CheckIo(); PortOut((ushort)i.Imm, size, GetReg(RAX, size)); break;
            case Op.OutDx: CheckIo(); PortOut((ushort)R[RDX], size, GetReg(RAX, size)); break;
            case Op.Ins: case Op.Outs: case Op.Movs: case Op.Cmps: case Op.Stos: case Op.Lods: case Op.Scas:
                if (!StringOp(ref i)) { return; }
                break;
            case Op.Nop: case Op.Pause: break;
            case Op.Wait:
                // WAIT faults only when both CR0.TS and CR0.MP are set (SDM vol. 3, table 2-2).
                if ((Cr0 & 0xA) == 0xA) { throw new GuestFault(Vectors.NM); }
                CheckPendingX87Exception();
                break;
            case Op.Setcc: WriteRm(ref i, Condition(i.Sub) ? 1UL : 0); break;
            case Op.Cmovcc:
                {
                    ulong v = ReadRm(ref i);
                    if (Condition(i.Sub)) { SetReg(i.Reg, size, v); }
                    else if (size == 4) { R[i.Reg] = (uint)R[i.Reg]; }
                    break;
                }
            case Op.BtRmReg:
                BitTest(i.Sub, ref i, SignExtend(GetReg(i.Reg, size), size));
                break;
            case Op.BtRmImm:
                BitTest(i.Sub, ref i, (long)((ulong)i.Imm & (ulong)(size * 8 - 1)));
                break;
            case Op.Bsf: BitScan(ref i, false); break;
            case Op.Bsr: BitScan(ref i, true); break;
            case Op.Tzcnt:
            case Op.Lzcnt:
                {
                    ulong v = ReadRm(ref i) & Mask(size);
                    int bits = size * 8;
                    int n = i.Op == Op.Tzcnt
                        ? (v == 0 ? bits : System.Numerics.BitOperations.TrailingZeroCount(v))
                        : (v == 0 ? bits : System.Numerics.BitOperations.LeadingZeroCount(v) - (64 - bits));
                    SetReg(i.Reg, size, (ulong)n);
                    SetArith(CF | ZF, (v == 0 ? CF : 0) | (n == 0 ? ZF : 0));
                    break;
                }
            case Op.Popcnt:
                {
                    ulong v = ReadRm(ref i) & Mask(size);
                    SetReg(i.Reg, size, (ulong)System.Numerics.BitOperations.PopCount(v));
                    SetArith(ArithFlags, v == 0 ? ZF : 0);
                    break;
                }
            case Op.Fpu:
                ExecuteX87(ref i);
                break;
            case Op.Sse:
                ExecuteSse(ref i);
                break;
            case Op.Ud:
            case Op.Invalid:
                throw new GuestFault(Vectors.UD);
            default:
                if (!ExecuteSystem(ref i, next)) { return; }
                break;
        }
        Rip = next;
    }

    private void SoftwareInterrupt(int vector, ulong next)
    {
        if (Virtual8086 && ((eflags >> 12) & 3) != 3) { throw new GuestFault(Vectors.GP, 0); }
        DeliverInterrupt(vector, null, next, InterruptSource.Software);
    }

    private void PopFlags(int size)
    {
        uint v = (uint)Pop(size);
        uint mask = CF | PF | AF | ZF | SF | TF | DF | OF | NT;
        if (size >= 4) { mask |= AC | ID; }
        if (!ProtectedMode || Cpl == 0) { mask |= IOPL; }
        if (!ProtectedMode || Cpl <= ((eflags >> 12) & 3)) { mask |= IF; }
        uint old = GetFlags();
        SetFlags((old & ~mask) | (v & mask));
    }

    private void Enter(int frameSize, int level, int size)
    {
        Push(R[RBP], size);
        ulong frame = R[RSP] & StackMask;
        for (int k = 1; k < level; k++)
        {
            ulong bp = (GetReg(RBP, StackSize) - (ulong)(k * size)) & StackMask;
            Push(ReadMem(Linear(X86Decoder.SS, bp), size), size);
        }
        if (level > 0) { Push(frame, size); }
        SetReg(RBP, StackSize == 8 ? 8 : StackSize, frame);
        SetSp(R[RSP] - (ulong)frameSize);
    }

    private void CheckIopl()
    {
        if (ProtectedMode && Cpl > ((eflags >> 12) & 3))
        {
            throw new GuestFault(Vectors.GP, 0);
        }
    }

    /// <summary>Port access above IOPL would consult the TSS I/O bitmap; none is modelled, so it faults.</summary>
    private void CheckIo() => CheckIopl();

    private ulong PortIn(ushort port, int size)
    {
        if (portBreakpoints.Count != 0 && portBreakpoints.Contains(port)) { PortBreakHit = true; }
        PortIoDone = true;
        return bus.ReadPort(port, size) & Mask(size);
    }

    private void PortOut(ushort port, int size, ulong value)
    {
        if (portBreakpoints.Count != 0 && portBreakpoints.Contains(port)) { PortBreakHit = true; }
        PortIoDone = true;
        bus.WritePort(port, size, value & Mask(size));
    }
}
