namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// MOVS, CMPS, STOS, LODS, SCAS, INS and OUTS with REP/REPE/REPNE. A repeated instruction runs at
/// most <see cref="RepChunk"/> iterations per execution and then re-executes from the same RIP, so
/// huge counts stay interruptible and count against the instruction budget.
/// </summary>
public sealed partial class X86Cpu
{
    private const int RepChunk = 4096;

    /// <summary>Returns true when the instruction is complete (RIP advances), false to run it again.</summary>
    internal bool StringOp(ref Insn i)
    {
        int size = i.OpSize;
        int asz = i.AddrSize;
        ulong amask = Mask(asz);
        bool rep = (i.Flags & (InsnFlags.Rep | InsnFlags.RepNe)) != 0;
        long step = (eflags & DF) != 0 ? -size : size;
        int iterations = 0;
        while (true)
        {
            if (rep && GetReg(RCX, asz) == 0)
            {
                return true;
            }
            ulong si = GetReg(RSI, asz), di = GetReg(RDI, asz);
            bool stop = false;
            switch (i.Op)
            {
                case Op.Movs:
                    {
                        ulong v = ReadMem(Linear(i.Seg, si), size);
                        WriteMem(Linear(X86Decoder.ES, di), size, v);
                        SetReg(RSI, asz, (si + (ulong)step) & amask);
                        SetReg(RDI, asz, (di + (ulong)step) & amask);
                        break;
                    }
                case Op.Stos:
                    WriteMem(Linear(X86Decoder.ES, di), size, GetReg(RAX, size));
                    SetReg(RDI, asz, (di + (ulong)step) & amask);
                    break;
                case Op.Lods:
                    SetReg(RAX, size, ReadMem(Linear(i.Seg, si), size));
                    SetReg(RSI, asz, (si + (ulong)step) & amask);
                    break;
                case Op.Cmps:
                    {
                        ulong a = ReadMem(Linear(i.Seg, si), size);
                        ulong b = ReadMem(Linear(X86Decoder.ES, di), size);
                        Alu(7, a, b, size);
                        SetReg(RSI, asz, (si + (ulong)step) & amask);
                        SetReg(RDI, asz, (di + (ulong)step) & amask);
                        stop = StopRepeat(ref i);
                        break;
                    }
                case Op.Scas:
                    {
                        ulong b = ReadMem(Linear(X86Decoder.ES, di), size);
                        Alu(7, GetReg(RAX, size), b, size);
                        SetReg(RDI, asz, (di + (ulong)step) & amask);
                        stop = StopRepeat(ref i);
                        break;
                    }
                case Op.Ins:
                    {
                        CheckIopl();
                        ulong v = PortIn((ushort)R[RDX], size);
                        WriteMem(Linear(X86Decoder.ES, di), size, v);
                        SetReg(RDI, asz, (di + (ulong)step) & amask);
                        break;
                    }
                default:
                    CheckIopl();
                    PortOut((ushort)R[RDX], size, ReadMem(Linear(i.Seg, si), size));
                    SetReg(RSI, asz, (si + (ulong)step) & amask);
                    break;
            }
            if (!rep)
            {
                return true;
            }
            ulong count = (GetReg(RCX, asz) - 1) & amask;
            SetReg(RCX, asz, count);
            if (stop || count == 0)
            {
                return true;
            }
            if (++iterations >= RepChunk || PortBreakHit)
            {
                return false;
            }
        }
    }

    /// <summary>REPE stops when ZF clears, REPNE when it sets (only CMPS and SCAS test ZF).</summary>
    private bool StopRepeat(ref Insn i)
    {
        bool zf = lazyR == 0;
        return (i.Flags & InsnFlags.RepNe) != 0 ? zf : (i.Flags & InsnFlags.Rep) != 0 && !zf;
    }
}
