namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// Far JMP and CALL whose selector names a system descriptor (Intel SDM vol. 2, JMP and CALL;
/// vol. 3, 5.8 and 7.3): a TSS or a task gate switches tasks (X86Cpu.TaskSwitch.cs), a call gate
/// transfers to its code segment, at the same privilege or (CALL only) inward onto the stack the
/// TSS names for the new level, copying the gate's parameter count of stack entries. Interrupts
/// and exceptions reach task gates through <see cref="DeliverThroughTaskGate"/>. In IA-32e mode
/// there is no task switching (#GP with the selector) and call gates are the 16-byte 64-bit kind
/// (<see cref="ThroughCallGate64"/>).
/// </summary>
public sealed partial class X86Cpu
{
    private const int TaskGateType = 5, CallGate16Type = 4, CallGate32Type = 0xC;

    /// <summary>
    /// Handles a far JMP/CALL through a system descriptor and returns true; returns false for a
    /// code segment (the ordinary path) or outside protected mode. The instruction's offset is
    /// ignored here: gates carry their own, and a task resumes at the EIP in its TSS.
    /// </summary>
    private bool FarTransferThroughSystemDescriptor(ushort selector, bool call, ulong returnIp)
    {
        if (!ProtectedMode || Virtual8086 || (selector & 0xFFFC) == 0)
        {
            return false;
        }
        ulong d = ReadDescriptor(selector);
        if ((d & (1UL << 44)) != 0)
        {
            return false;
        }
        uint error = (uint)(selector & 0xFFFC);
        int type = (int)((d >> 40) & 0x1F);
        int dpl = (int)((d >> 45) & 3);
        bool present = (d & (1UL << 47)) != 0;
        if (LongModeActive)
        {
            if (type != CallGate32Type) { throw new GuestFault(Vectors.GP, error); }
            if (dpl < Cpl || dpl < (selector & 3)) { throw new GuestFault(Vectors.GP, error); }
            if (!present) { throw new GuestFault(Vectors.NP, error); }
            ThroughCallGate64(selector, d, call, returnIp);
            return true;
        }
        var reason = call ? TaskSwitchReason.Call : TaskSwitchReason.Jump;
        switch (type)
        {
            case TssTypeAvailable16:
            case TssTypeAvailable32:
                if (dpl < Cpl || dpl < (selector & 3)) { throw new GuestFault(Vectors.GP, error); }
                SwitchTask(selector, d, reason, returnIp);
                return true;
            case TaskGateType:
                {
                    if (dpl < Cpl || dpl < (selector & 3)) { throw new GuestFault(Vectors.GP, error); }
                    if (!present) { throw new GuestFault(Vectors.NP, error); }
                    ushort tss = (ushort)(d >> 16);
                    SwitchTask(tss, ReadTaskGateTss(tss), reason, returnIp);
                    return true;
                }
            case CallGate16Type:
            case CallGate32Type:
                if (dpl < Cpl || dpl < (selector & 3)) { throw new GuestFault(Vectors.GP, error); }
                if (!present) { throw new GuestFault(Vectors.NP, error); }
                ThroughCallGate(d, call, returnIp);
                return true;
            default:
                throw new GuestFault(Vectors.GP, error);
        }
    }

    /// <summary>
    /// The TSS descriptor a task gate names (JMP, CALL, INT n pseudocode): in the GDT and an
    /// available TSS, else #GP(TSS selector); SwitchTask then checks present (#NP) and limit (#TS).
    /// </summary>
    private ulong ReadTaskGateTss(ushort tss)
    {
        uint error = (uint)(tss & 0xFFFC);
        if ((tss & 4) != 0 || error == 0) { throw new GuestFault(Vectors.GP, error); }
        ulong d = ReadDescriptor(tss);
        int type = (int)((d >> 40) & 0x1F);
        if (type is not (TssTypeAvailable16 or TssTypeAvailable32)) { throw new GuestFault(Vectors.GP, error); }
        return d;
    }

    /// <summary>
    /// An interrupt or exception whose IDT entry is a task gate (SDM vol. 3, 6.12.2): switches
    /// with nesting and pushes the error code, if any, on the new task's stack.
    /// </summary>
    private void DeliverThroughTaskGate(ulong gate, uint? errorCode, ulong returnIp, InterruptSource source)
    {
        ushort tss = (ushort)(gate >> 16);
        try
        {
            SwitchTask(tss, ReadTaskGateTss(tss), TaskSwitchReason.Interrupt, returnIp, errorCode);
        }
        catch (GuestFault fault) when (fault.Vector != Vectors.PF && fault.ErrorCode is uint code)
        {
            throw new GuestFault(fault.Vector, code | ExternalBit(source));
        }
    }

    /// <summary>
    /// CALL or JMP through a 16- or 32-bit call gate (SDM vol. 2, CALL "CALL-GATE"): the target
    /// must be a present code segment with DPL &lt;= CPL (JMP: the same level unless conforming).
    /// A CALL to a more privileged non-conforming segment switches to the stack in the TSS for
    /// that level and copies the gate's parameters.
    /// </summary>
    private void ThroughCallGate(ulong gate, bool call, ulong returnIp)
    {
        ushort selector = (ushort)(gate >> 16);
        bool gate32 = ((gate >> 40) & 0xF) == CallGate32Type;
        ulong offset = (gate & 0xFFFF) | (gate32 ? (gate >> 32) & 0xFFFF0000 : 0);
        int parameters = (int)((gate >> 32) & 0x1F);
        int size = gate32 ? 4 : 2;
        uint error = (uint)(selector & 0xFFFC);
        if (error == 0) { throw new GuestFault(Vectors.GP, 0); }
        var target = Segment.FromDescriptor(selector, ReadDescriptor(selector));
        bool conforming = (target.Attr & 4) != 0;
        if (!target.IsCode || target.Dpl > Cpl || (!call && !conforming && target.Dpl != Cpl))
        {
            throw new GuestFault(Vectors.GP, error);
        }
        if (!target.Present) { throw new GuestFault(Vectors.NP, error); }
        if (!call)
        {
            LoadCode(selector, offset, Cpl);
            return;
        }
        ushort oldCs = Seg[X86Decoder.CS].Selector;
        if (conforming || target.Dpl == Cpl)
        {
            ulong sp = R[RSP];
            try
            {
                Push(oldCs, size);
                Push(returnIp, size);
                LoadCode(selector, offset, Cpl);
            }
            catch (GuestFault)
            {
                R[RSP] = sp;
                throw;
            }
            return;
        }
        CallGateInward(selector, offset, target.Dpl, size, parameters, returnIp);
    }

    /// <summary>
    /// The inner stack: SSn:ESPn from the current TSS (32-bit: 4 + 8n / 8 + 8n; 16-bit: 2 + 4n /
    /// 4 + 4n), checked as a task's SS is; then the caller's SS:ESP, the parameters and CS:EIP are
    /// pushed there.
    /// </summary>
    /// <summary>
    /// SSn and the stack pointer of the current TSS for privilege level <paramref name="cpl"/>, in the
    /// TSS's own layout: 32-bit ESPn at 4 + 8n and SSn at 8 + 8n, 16-bit SPn at 2 + 4n and SSn at 4 + 4n.
    /// Call gates and interrupts into an inner ring both take their stack from here.
    /// </summary>
    private (ushort Selector, ulong Sp) InnerStack(int cpl)
    {
        bool tss32 = (Tr.Type & 8) != 0;
        ulong spAt = tss32 ? 4 + 8 * (ulong)cpl : 2 + 4 * (ulong)cpl;
        ulong sp = ReadSystem(Tr.Base + spAt, tss32 ? 4 : 2);
        return ((ushort)ReadSystem(Tr.Base + spAt + (tss32 ? 4UL : 2UL), 2), sp);
    }

    private void CallGateInward(ushort selector, ulong offset, int newCpl, int size, int parameters, ulong returnIp)
    {
        var (ssSel, newSp) = InnerStack(newCpl);
        var ss = ReadTssStackSegment(ssSel, newCpl, out ulong ssd);

        // Read the parameters on the caller's stack before anything changes.
        ushort oldSs = Seg[X86Decoder.SS].Selector;
        ulong oldSp = R[RSP];
        ushort oldCs = Seg[X86Decoder.CS].Selector;
        var copied = new ulong[parameters];
        for (int k = 0; k < parameters; k++)
        {
            copied[k] = PeekStack(k * size, size);
        }
        var savedSs = Seg[X86Decoder.SS];
        int savedCpl = Cpl;
        ss.Attr |= 1;
        Seg[X86Decoder.SS] = ss;
        Seg[X86Decoder.CS].Selector = (ushort)((oldCs & ~3) | newCpl);
        Cpl = newCpl;
        UpdateModeKeepCpl();
        R[RSP] = ss.Big ? (uint)newSp : (R[RSP] & ~0xFFFFUL) | (ushort)newSp;
        try
        {
            Push(oldSs, size);
            Push(oldSp, size);
            for (int k = parameters - 1; k >= 0; k--)
            {
                Push(copied[k], size);
            }
            Push(oldCs, size);
            Push(returnIp, size);
            LoadCode(selector, offset, newCpl);
        }
        catch (GuestFault)
        {
            // A fault on the new stack (#SS, #PF) restarts the CALL in the caller's context.
            Seg[X86Decoder.SS] = savedSs;
            Seg[X86Decoder.CS].Selector = oldCs;
            Cpl = savedCpl;
            R[RSP] = oldSp;
            UpdateMode();
            throw;
        }
        MarkAccessed(ssSel, ssd);
    }

    /// <summary>
    /// CALL or JMP through a 64-bit call gate (SDM vol. 3, 5.8.3.1): 16 bytes, the upper half
    /// holding offset bits 32-63 and a type field that must be zero. The target is a present 64-bit
    /// code segment with DPL &lt;= CPL (JMP: the same level unless conforming). A CALL inward takes
    /// RSPn from the 64-bit TSS and a null SS with RPL n; every push is 8 bytes (SS, RSP, CS, RIP
    /// inward; CS, RIP at the same level) and no parameters are copied. The frame is written
    /// before any state changes, so a #PF on the new stack restarts the CALL in the caller.
    /// </summary>
    private void ThroughCallGate64(ushort gateSelector, ulong low, bool call, ulong returnIp)
    {
        uint gateError = (uint)(gateSelector & 0xFFFC);
        ulong high = ReadDescriptorHigh(gateSelector);
        if (((high >> 40) & 0x1F) != 0) { throw new GuestFault(Vectors.GP, gateError); }
        ushort selector = (ushort)(low >> 16);
        ulong offset = (low & 0xFFFF) | ((low >> 32) & 0xFFFF0000) | (high << 32);
        uint error = (uint)(selector & 0xFFFC);
        if (error == 0) { throw new GuestFault(Vectors.GP, 0); }
        var target = Segment.FromDescriptor(selector, ReadDescriptor(selector));
        bool conforming = (target.Attr & 4) != 0;
        if (!target.IsCode || !target.Long || target.Big || target.Dpl > Cpl || (!call && !conforming && target.Dpl != Cpl))
        {
            throw new GuestFault(Vectors.GP, error);
        }
        if (!target.Present) { throw new GuestFault(Vectors.NP, error); }
        if (!call)
        {
            LoadCode(selector, offset, Cpl);
            return;
        }
        int newCpl = conforming ? Cpl : target.Dpl;
        bool inward = newCpl < Cpl;
        ushort oldSs = Seg[X86Decoder.SS].Selector;
        ulong oldSp = R[RSP];
        ulong sp = inward ? ReadSystem(Tr.Base + 4 + (ulong)newCpl * 8, 8) : oldSp;
        ulong[] frame = inward
            ? new ulong[] { oldSs, oldSp, Seg[X86Decoder.CS].Selector, returnIp }
            : new ulong[] { Seg[X86Decoder.CS].Selector, returnIp };
        foreach (ulong v in frame)
        {
            sp -= 8;
            WriteSystemAs(sp, 8, v, user: newCpl == 3);
        }
        if (inward)
        {
            Seg[X86Decoder.SS] = new Segment { Selector = (ushort)newCpl, Attr = (ushort)(0x93 | (newCpl << 5)) };
        }
        LoadCode(selector, offset, newCpl);
        R[RSP] = sp;
    }

    /// <summary>The upper 8 bytes of a 16-byte descriptor; #GP(selector) when they lie past the table's limit.</summary>
    private ulong ReadDescriptorHigh(ushort selector)
    {
        bool local = (selector & 4) != 0;
        ulong tableBase = local ? Ldtr.Base : Gdtr.Base;
        uint limit = local ? Ldtr.Limit : Gdtr.Limit;
        uint at = (uint)(selector & 0xFFF8) + 8;
        if (at + 7 > limit) { throw new GuestFault(Vectors.GP, (uint)(selector & 0xFFFC)); }
        return ReadSystem(tableBase + at, 8);
    }

    /// <summary>A stack write at the privilege the frame is for, byte by byte so one crossing a page translates both.</summary>
    private void WriteSystemAs(ulong linear, int size, ulong value, bool user)
    {
        for (int k = 0; k < size; k++)
        {
            ulong l = (linear + (ulong)k) & LinearMask;
            ulong phys = PagingEnabled ? Translate(l, AccessKind.Write, user) : l & A20Mask;
            if (cache.IsCodePage(phys)) { cache.NotifyWrite(phys, 1); }
            WritePhys(phys, 1, value >> (8 * k));
        }
    }
}
