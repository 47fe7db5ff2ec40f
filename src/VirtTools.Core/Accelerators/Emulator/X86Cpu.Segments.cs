namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// Segment register loads, descriptor tables and far control transfers (JMP/CALL/RET far, IRET)
/// in real, protected and long mode. Far transfers through call gates, task gates and TSSs are in
/// X86Cpu.Gates.cs and X86Cpu.TaskSwitch.cs.
/// </summary>
public sealed partial class X86Cpu
{
    internal bool ProtectedMode => (Cr0 & 1) != 0;
    internal bool Virtual8086 => (eflags & VM) != 0;
    internal bool LongModeActive => (Efer & 0x400) != 0;

    /// <summary>Reads the 8-byte descriptor for <paramref name="selector"/>; #GP(selector) outside the table.</summary>
    internal ulong ReadDescriptor(ushort selector, int faultVector = Vectors.GP)
    {
        ulong tableBase;
        uint limit;
        if ((selector & 4) != 0)
        {
            tableBase = Ldtr.Base;
            limit = Ldtr.Present ? Ldtr.Limit : 0;
            if (!Ldtr.Present) { throw new GuestFault(faultVector, (uint)(selector & 0xFFFC)); }
        }
        else
        {
            tableBase = Gdtr.Base;
            limit = Gdtr.Limit;
        }
        uint offset = (uint)(selector & 0xFFF8);
        if (offset + 7 > limit)
        {
            throw new GuestFault(faultVector, (uint)(selector & 0xFFFC));
        }
        return ReadSystem(tableBase + offset, 8);
    }

    /// <summary>A supervisor access to a system table (GDT, IDT, TSS): no CPL-3 page check.</summary>
    internal ulong ReadSystem(ulong linear, int size)
    {
        linear &= LinearMask;
        if (!PagingEnabled)
        {
            // An implicit supervisor access: no alignment check (X86Cpu.Alignment.cs).
            bool was = SuspendAccessAlignment();
            try
            {
                return ReadMem(linear, size);
            }
            finally
            {
                alignmentCheckSuspended = was;
            }
        }
        ulong v = 0;
        for (int i = 0; i < size; i++)
        {
            v |= ReadPhys(Translate((linear + (ulong)i) & LinearMask, AccessKind.Read, false), 1) << (8 * i);
        }
        return v;
    }

    internal void WriteSystem(ulong linear, int size, ulong value)
    {
        for (int i = 0; i < size; i++)
        {
            ulong l = (linear + (ulong)i) & LinearMask;
            ulong phys = PagingEnabled ? Translate(l, AccessKind.Write, false) : l & A20Mask;
            if (cache.IsCodePage(phys)) { cache.NotifyWrite(phys, 1); }
            WritePhys(phys, 1, value >> (8 * i));
        }
    }

    /// <summary>MOV/POP/LxS to a data or stack segment register.</summary>
    internal void LoadSegment(int index, ushort selector)
    {
        if (!ProtectedMode || Virtual8086)
        {
            ref Segment s = ref Seg[index];
            s.Selector = selector;
            s.Base = (ulong)selector << 4;
            if (Virtual8086)
            {
                s.Limit = 0xFFFF;
                s.Attr = (ushort)(index == X86Decoder.CS ? 0xFB : 0xF3);
            }
            if (index == X86Decoder.SS || index == X86Decoder.CS)
            {
                UpdateMode();
            }
            else
            {
                SegBase[index] = CodeBits == 64 && index < 4 ? 0 : s.Base;
            }
            return;
        }
        if ((selector & 0xFFFC) == 0)
        {
            if (index == X86Decoder.SS && !(CodeBits == 64 && Cpl != 3 && (selector & 3) == Cpl))
            {
                throw new GuestFault(Vectors.GP, 0);
            }
            Seg[index] = new Segment { Selector = selector };
            SegBase[index] = 0;
            if (index == X86Decoder.SS) { UpdateMode(); }
            return;
        }
        ulong d = ReadDescriptor(selector);
        var seg = Segment.FromDescriptor(selector, d);
        bool isSystem = (seg.Attr & 0x10) == 0;
        if (index == X86Decoder.SS)
        {
            bool writableData = !isSystem && !seg.IsCode && (seg.Attr & 2) != 0;
            if ((selector & 3) != Cpl || seg.Dpl != Cpl || !writableData)
            {
                throw new GuestFault(Vectors.GP, (uint)(selector & 0xFFFC));
            }
            if (!seg.Present) { throw new GuestFault(Vectors.SS, (uint)(selector & 0xFFFC)); }
        }
        else
        {
            bool readable = !isSystem && (!seg.IsCode || (seg.Attr & 2) != 0);
            if (!readable) { throw new GuestFault(Vectors.GP, (uint)(selector & 0xFFFC)); }
            if (!seg.Present) { throw new GuestFault(Vectors.NP, (uint)(selector & 0xFFFC)); }
        }
        MarkAccessed(selector, d);
        seg.Attr |= 1;
        Seg[index] = seg;
        if (index == X86Decoder.SS)
        {
            UpdateMode();
        }
        else
        {
            SegBase[index] = CodeBits == 64 && index < 4 ? 0 : seg.Base;
        }
    }

    private void MarkAccessed(ushort selector, ulong d)
    {
        if ((d & (1UL << 40)) == 0)
        {
            ulong tableBase = (selector & 4) != 0 ? Ldtr.Base : Gdtr.Base;
            WriteSystem(tableBase + (uint)(selector & 0xFFF8) + 5, 1, (d >> 40) | 1);
        }
    }

    /// <summary>Loads CS for a far JMP/CALL/RET/IRET to <paramref name="selector"/> at privilege <paramref name="newCpl"/>.</summary>
    internal void LoadCode(ushort selector, ulong offset, int? newCpl = null)
    {
        if (!ProtectedMode || Virtual8086)
        {
            Seg[X86Decoder.CS].Selector = selector;
            Seg[X86Decoder.CS].Base = (ulong)selector << 4;
            Rip = offset & 0xFFFF_FFFF;
            UpdateMode();
            return;
        }
        if ((selector & 0xFFFC) == 0) { throw new GuestFault(Vectors.GP, 0); }
        ulong d = ReadDescriptor(selector);
        var seg = Segment.FromDescriptor(selector, d);
        if ((seg.Attr & 0x18) != 0x18) { throw new GuestFault(Vectors.GP, (uint)(selector & 0xFFFC)); }
        if (!seg.Present) { throw new GuestFault(Vectors.NP, (uint)(selector & 0xFFFC)); }
        int cpl = newCpl ?? Cpl;
        bool conforming = (seg.Attr & 4) != 0;
        if (newCpl == null && (conforming ? seg.Dpl > Cpl : seg.Dpl != Cpl))
        {
            throw new GuestFault(Vectors.GP, (uint)(selector & 0xFFFC));
        }
        MarkAccessed(selector, d);
        seg.Attr |= 1;
        seg.Selector = (ushort)((selector & 0xFFFC) | cpl);
        Seg[X86Decoder.CS] = seg;
        bool to64 = LongModeActive && seg.Long;
        Rip = to64 ? offset : seg.Big ? offset & 0xFFFF_FFFF : offset & 0xFFFF;
        UpdateMode();
    }

    internal void FarJump(ushort selector, ulong offset, ulong returnIp)
    {
        if (!FarTransferThroughSystemDescriptor(selector, call: false, returnIp))
        {
            LoadCode(selector, offset);
        }
    }

    internal void FarCall(ushort selector, ulong offset, int size, ulong returnIp)
    {
        if (FarTransferThroughSystemDescriptor(selector, call: true, returnIp))
        {
            return;
        }
        ushort oldCs = Seg[X86Decoder.CS].Selector;
        // Push to a temporary stack pointer first so a fault leaves RSP unchanged.
        ulong sp = R[RSP];
        Push(oldCs, size);
        Push(returnIp, size);
        try
        {
            LoadCode(selector, offset);
        }
        catch (GuestFault)
        {
            R[RSP] = sp;
            throw;
        }
    }

    internal void FarReturn(int size, int popBytes)
    {
        ulong sp = R[RSP];
        ulong ip = Pop(size);
        ushort cs = (ushort)Pop(size);
        if (!ProtectedMode || Virtual8086)
        {
            AddStack(popBytes);
            LoadCode(cs, ip);
            return;
        }
        int rpl = cs & 3;
        if (rpl < Cpl) { R[RSP] = sp; throw new GuestFault(Vectors.GP, (uint)(cs & 0xFFFC)); }
        if (rpl == Cpl)
        {
            AddStack(popBytes);
            LoadCode(cs, ip, rpl);
            return;
        }
        AddStack(popBytes);
        ulong newSp = Pop(size);
        ushort ss = (ushort)Pop(size);
        LoadCode(cs, ip, rpl);
        LoadSegment(X86Decoder.SS, ss);
        R[RSP] = newSp;
        AddStack(popBytes);
        ClearDataSegmentsAbove(rpl);
    }

    private void AddStack(int bytes)
    {
        if (bytes != 0) { SetSp(R[RSP] + (ulong)bytes); }
    }

    /// <summary>Returning to an outer level nulls data segments the new level may not use.</summary>
    private void ClearDataSegmentsAbove(int cpl)
    {
        foreach (int s in new[] { X86Decoder.ES, X86Decoder.DS, X86Decoder.FS, X86Decoder.GS })
        {
            ref Segment seg = ref Seg[s];
            bool conformingCode = seg.IsCode && (seg.Attr & 4) != 0;
            if ((seg.Selector & 0xFFFC) != 0 && !conformingCode && seg.Dpl < cpl)
            {
                seg = new Segment();
                SegBase[s] = 0;
            }
        }
    }

    internal void InterruptReturn(int size, ulong next)
    {
        if (!ProtectedMode)
        {
            ulong ip = Pop(size);
            ushort cs = (ushort)Pop(size);
            ulong fl = Pop(size);
            LoadCode(cs, ip);
            uint keep = size == 2 ? 0xFFFF0000 : (uint)(VM | 0x180000);
            SetFlags((GetFlags() & keep) | ((uint)fl & ~keep));
            return;
        }
        if ((eflags & NT) != 0 && !LongModeActive)
        {
            ReturnFromNestedTask(next);
            return;
        }
        ulong newIp = Pop(size);
        ushort newCs = (ushort)Pop(size);
        uint newFlags = (uint)Pop(size);
        int rpl = newCs & 3;
        if (rpl < Cpl) { throw new GuestFault(Vectors.GP, (uint)(newCs & 0xFFFC)); }
        bool popStack = rpl > Cpl || CodeBits == 64;
        ulong newSp = 0;
        ushort newSs = 0;
        if (popStack)
        {
            newSp = Pop(size);
            newSs = (ushort)Pop(size);
        }
        int oldCpl = Cpl;
        uint oldFlags = GetFlags();
        LoadCode(newCs, newIp, rpl);
        // IOPL changes only at CPL 0, IF only when CPL <= IOPL; VM/VIF/VIP are not restored (no V8086).
        uint mask = (uint)(CF | PF | AF | ZF | SF | TF | DF | OF | NT | RF | AC | ID);
        if (size == 2) { mask &= 0xFFFF; }
        if (oldCpl == 0) { mask |= IOPL; }
        if (oldCpl <= (int)((oldFlags >> 12) & 3)) { mask |= IF; }
        SetFlags((oldFlags & ~mask) | (newFlags & mask));
        if (popStack)
        {
            if ((newSs & 0xFFFC) == 0 && LongModeActive)
            {
                Seg[X86Decoder.SS] = new Segment { Selector = newSs, Attr = (ushort)(0x93 | (rpl << 5)) };
                UpdateMode();
            }
            else
            {
                LoadSegment(X86Decoder.SS, newSs);
            }
            R[RSP] = StackSize == 8 ? newSp : StackSize == 4 ? (uint)newSp : (R[RSP] & ~0xFFFFUL) | (ushort)newSp;
            if (rpl > oldCpl) { ClearDataSegmentsAbove(rpl); }
        }
    }
}
