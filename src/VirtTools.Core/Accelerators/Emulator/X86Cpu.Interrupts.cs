namespace VirtTools.Accelerators.Emulator;

internal enum InterruptSource
{
    /// <summary>A fault or trap the CPU raised.</summary>
    Exception,
    /// <summary>INT n, INT3, INTO: gate DPL is checked against CPL.</summary>
    Software,
    /// <summary>From the interrupt controller.</summary>
    External,
}

/// <summary>
/// Interrupt and exception delivery through the real-mode IVT, the protected-mode IDT (16- and
/// 32-bit interrupt and trap gates, with a stack switch from the TSS; task gates switch tasks,
/// X86Cpu.Gates.cs) and the long-mode IDT
/// (16-byte gates, IST). Double-fault and triple-fault escalation follow Intel SDM vol. 3,
/// table 6-5.
/// </summary>
public sealed partial class X86Cpu
{
    private const int MaxNestedFaults = 3;

    private static bool IsContributory(int v) => v is Vectors.DE or Vectors.TS or Vectors.NP or Vectors.SS or Vectors.GP;

    /// <summary>Delivers exception <paramref name="vector"/> for the instruction at RIP, escalating to #DF and triple fault.</summary>
    internal void RaiseException(int vector, uint? errorCode)
    {
        int first = -1;
        for (int attempt = 0; attempt < MaxNestedFaults; attempt++)
        {
            LastException = vector;
            LastErrorCode = errorCode ?? 0;
            try
            {
                DeliverInterrupt(vector, errorCode, Rip, InterruptSource.Exception);
                return;
            }
            catch (GuestFault second)
            {
                if (vector == Vectors.DF)
                {
                    break;
                }
                first = vector;
                bool escalate = (IsContributory(first) && IsContributory(second.Vector))
                    || (first == Vectors.PF && (second.Vector == Vectors.PF || IsContributory(second.Vector)));
                if (escalate)
                {
                    vector = Vectors.DF;
                    errorCode = 0;
                }
                else
                {
                    vector = second.Vector;
                    errorCode = second.ErrorCode;
                }
            }
        }
        Shutdown = true;
    }

    /// <summary>Exceptions that push an error code (vol. 3, table 6-1).</summary>
    internal static bool HasErrorCode(int vector) =>
        vector is Vectors.DF or Vectors.TS or Vectors.NP or Vectors.SS or Vectors.GP or Vectors.PF or Vectors.AC;

    internal void DeliverInterrupt(int vector, uint? errorCode, ulong returnIp, InterruptSource source)
    {
        Halted = false;
        if (source != InterruptSource.External)
        {
            LastException = vector;
            LastErrorCode = errorCode ?? 0;
        }
        if (!ProtectedMode)
        {
            DeliverReal(vector, returnIp);
            return;
        }
        if (LongModeActive)
        {
            DeliverLong(vector, errorCode, returnIp, source);
            return;
        }
        DeliverProtected(vector, errorCode, returnIp, source);
    }

    private void DeliverReal(int vector, ulong returnIp)
    {
        if ((uint)vector * 4 + 3 > Idtr.Limit)
        {
            throw new GuestFault(Vectors.GP, 0);
        }
        ulong entry = ReadMem((Idtr.Base + (ulong)vector * 4) & LinearMask, 4);
        Push(GetFlags() & 0xFFFF, 2);
        Push(Seg[X86Decoder.CS].Selector, 2);
        Push(returnIp & 0xFFFF, 2);
        eflags &= ~(IF | TF | AC | RF);
        LoadCode((ushort)(entry >> 16), entry & 0xFFFF);
    }

    private uint GateError(int vector, InterruptSource source) => (uint)(vector * 8 + 2) | ExternalBit(source);

    /// <summary>
    /// Error code bit 0 (EXT): the fault happened while delivering an event from outside the
    /// program, an interrupt or an earlier exception, not an INT n (SDM vol. 3, 6.13).
    /// </summary>
    private static uint ExternalBit(InterruptSource source) => source == InterruptSource.Software ? 0u : 1u;

    private void DeliverProtected(int vector, uint? errorCode, ulong returnIp, InterruptSource source)
    {
        if ((uint)vector * 8 + 7 > Idtr.Limit)
        {
            throw new GuestFault(Vectors.GP, GateError(vector, source));
        }
        ulong gate = ReadSystem(Idtr.Base + (ulong)vector * 8, 8);
        int type = (int)((gate >> 40) & 0x1F);
        int dpl = (int)((gate >> 45) & 3);
        bool is32 = type == 0x0E || type == 0x0F;
        bool trap = type == 0x07 || type == 0x0F;
        if (!(type is 0x05 or 0x06 or 0x07 or 0x0E or 0x0F))
        {
            throw new GuestFault(Vectors.GP, GateError(vector, source));
        }
        if (source == InterruptSource.Software && dpl < Cpl)
        {
            throw new GuestFault(Vectors.GP, GateError(vector, source));
        }
        if ((gate & (1UL << 47)) == 0)
        {
            throw new GuestFault(Vectors.NP, GateError(vector, source));
        }
        if (type == 0x05)
        {
            DeliverThroughTaskGate(gate, errorCode, returnIp, source);
            return;
        }
        ushort selector = (ushort)(gate >> 16);
        ulong offset = (gate & 0xFFFF) | ((gate >> 32) & 0xFFFF0000);
        if ((selector & 0xFFFC) == 0) { throw new GuestFault(Vectors.GP, ExternalBit(source)); }
        var target = Segment.FromDescriptor(selector, ReadDescriptor(selector));
        if (!target.IsCode || target.Dpl > Cpl) { throw new GuestFault(Vectors.GP, (uint)(selector & 0xFFFC)); }
        if (!target.Present) { throw new GuestFault(Vectors.NP, (uint)(selector & 0xFFFC)); }
        int size = is32 ? 4 : 2;
        uint flags = GetFlags();
        ushort oldCs = Seg[X86Decoder.CS].Selector;
        bool conforming = (target.Attr & 4) != 0;
        int newCpl = conforming ? Cpl : target.Dpl;
        if (newCpl < Cpl)
        {
            var (ssN, spN) = InnerStack(newCpl);
            uint espN = (uint)spN;
            ushort oldSs = Seg[X86Decoder.SS].Selector;
            ulong oldSp = R[RSP];
            // The same checks as a task's SS: #TS(selector) unless a writable data segment with
            // RPL = DPL = the new CPL, #SS(selector) if not present (X86Cpu.TaskSwitch.cs).
            var ssDesc = ReadTssStackSegment(ssN, newCpl, out _);
            Seg[X86Decoder.SS] = ssDesc;
            Seg[X86Decoder.CS].Selector = (ushort)((oldCs & ~3) | newCpl);
            Cpl = newCpl;
            UpdateModeKeepCpl();
            R[RSP] = ssDesc.Big ? espN : (R[RSP] & ~0xFFFFUL) | (ushort)espN;
            Push(oldSs, size);
            Push(oldSp, size);
        }
        Push(flags, size);
        Push(oldCs, size);
        Push(returnIp, size);
        if (errorCode.HasValue) { Push(errorCode.Value, size); }
        LoadCode(selector, offset, newCpl);
        eflags &= ~(TF | NT | RF | VM);
        if (!trap) { eflags &= ~IF; }
    }

    private void UpdateModeKeepCpl()
    {
        StackSize = Seg[X86Decoder.SS].Big ? 4 : 2;
        SegBase[X86Decoder.SS] = Seg[X86Decoder.SS].Base;
        FlushTlb();
    }

    private void DeliverLong(int vector, uint? errorCode, ulong returnIp, InterruptSource source)
    {
        if ((uint)vector * 16 + 15 > Idtr.Limit)
        {
            throw new GuestFault(Vectors.GP, GateError(vector, source));
        }
        ulong lo = ReadSystem(Idtr.Base + (ulong)vector * 16, 8);
        ulong hi = ReadSystem(Idtr.Base + (ulong)vector * 16 + 8, 8);
        int type = (int)((lo >> 40) & 0x1F);
        int dpl = (int)((lo >> 45) & 3);
        if (type != 0x0E && type != 0x0F)
        {
            throw new GuestFault(Vectors.GP, GateError(vector, source));
        }
        if (source == InterruptSource.Software && dpl < Cpl)
        {
            throw new GuestFault(Vectors.GP, GateError(vector, source));
        }
        if ((lo & (1UL << 47)) == 0)
        {
            throw new GuestFault(Vectors.NP, GateError(vector, source));
        }
        ushort selector = (ushort)(lo >> 16);
        ulong offset = (lo & 0xFFFF) | ((lo >> 32) & 0xFFFF0000) | (hi << 32);
        int ist = (int)((lo >> 32) & 7);
        var target = Segment.FromDescriptor(selector, ReadDescriptor(selector));
        if (!target.IsCode || !target.Long || target.Dpl > Cpl) { throw new GuestFault(Vectors.GP, (uint)(selector & 0xFFFC)); }
        if (!target.Present) { throw new GuestFault(Vectors.NP, (uint)(selector & 0xFFFC)); }
        int newCpl = (target.Attr & 4) != 0 ? Cpl : target.Dpl;
        uint flags = GetFlags();
        ushort oldCs = Seg[X86Decoder.CS].Selector;
        ushort oldSs = Seg[X86Decoder.SS].Selector;
        ulong oldSp = R[RSP];
        ulong sp = oldSp;
        if (ist != 0)
        {
            sp = ReadSystem(Tr.Base + 0x24 + (ulong)(ist - 1) * 8, 8);
        }
        else if (newCpl < Cpl)
        {
            sp = ReadSystem(Tr.Base + 4 + (ulong)newCpl * 8, 8);
        }
        sp &= ~0xFUL;
        // Build the frame with supervisor writes at the new stack before committing any state.
        ulong[] frame = errorCode.HasValue
            ? new ulong[] { oldSs, oldSp, flags, oldCs, returnIp, errorCode.Value }
            : new ulong[] { oldSs, oldSp, flags, oldCs, returnIp };
        foreach (ulong v in frame)
        {
            sp -= 8;
            ulong phys = PagingEnabled ? Translate(sp, AccessKind.Write, newCpl == 3) : sp;
            if (cache.IsCodePage(phys)) { cache.NotifyWrite(phys, 8); }
            WritePhys(phys, 8, v);
        }
        if (newCpl < Cpl)
        {
            Seg[X86Decoder.SS] = new Segment { Selector = (ushort)newCpl, Attr = (ushort)(0x93 | (newCpl << 5)) };
        }
        LoadCode(selector, offset, newCpl);
        R[RSP] = sp;
        eflags &= ~(TF | NT | RF | VM);
        if (type == 0x0E) { eflags &= ~IF; }
    }
}
