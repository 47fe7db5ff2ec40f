namespace VirtTools.Accelerators.Emulator;

/// <summary>What started a hardware task switch: it decides the busy bits, NT and the back link (SDM vol. 3, table 7-2).</summary>
internal enum TaskSwitchReason
{
    /// <summary>JMP far to a TSS or task gate: the old task is no longer busy, no back link.</summary>
    Jump,
    /// <summary>CALL far to a TSS or task gate: nested, the new task links back and gets NT.</summary>
    Call,
    /// <summary>An interrupt or exception through a task gate: nested, like CALL.</summary>
    Interrupt,
    /// <summary>IRET with EFLAGS.NT: back to the task in the back link, which must be busy.</summary>
    Return,
}

/// <summary>
/// Hardware task switching in protected mode (Intel SDM vol. 3, chapter 7): 32-bit TSSs (types
/// 9/B) and 16-bit ones (types 1/3). The checks that fault in the old task's context come first
/// (TSS descriptor type and busy bit, present, limit) and the new TSS is read whole before anything
/// changes, so those faults leave the CPU as it was. Then the commit: the outgoing state goes into
/// the current TSS (EIP is the return address; CR3 and the LDT selector are static fields and are
/// not written), the busy bits and NT and the back link change as table 7-2 says, TR, CR0.TS, CR3,
/// EFLAGS, EIP and the general registers are loaded, DR7's local enables are cleared, and last the LDT and segment registers, whose
/// faults (#TS with the selector, #NP, #SS) are raised in the new task's context with its first
/// instruction as the return address, as on the hardware. Not modelled: the TSS T (debug trap)
/// bit, virtual-8086 tasks (EFLAGS.VM in a TSS is ignored), and long mode, where task switches
/// are #GP (X86Cpu.Gates.cs).
/// </summary>
public sealed partial class X86Cpu
{
    /// <summary>Offsets inside a 32-bit or 16-bit TSS (SDM vol. 3, figures 7-2 and 7-11).</summary>
    private readonly record struct TssLayout(int MinimumLimit, int Width, int Ip, int Flags, int Registers, int Segments, int SegmentCount, int Ldt)
    {
        public static readonly TssLayout Tss32 = new(0x67, 4, 0x20, 0x24, 0x28, 0x48, 6, 0x60);
        public static readonly TssLayout Tss16 = new(0x2B, 2, 0x0E, 0x10, 0x12, 0x22, 4, 0x2A);
    }

    private const int TssCr3 = 0x1C;
    private const int TssTypeAvailable16 = 1, TssTypeBusy16 = 3, TssTypeAvailable32 = 9, TssTypeBusy32 = 0xB;
    /// <summary>DR7 L0-L3.</summary>
    private const ulong DebugLocalEnables = 0x55;

    private static bool IsTssType(int type) => type is TssTypeAvailable16 or TssTypeBusy16 or TssTypeAvailable32 or TssTypeBusy32;

    /// <summary>
    /// Switches to the task whose TSS descriptor (in the GDT) is <paramref name="descriptor"/>.
    /// <paramref name="returnIp"/> is the EIP saved for the old task; an interrupt's error code is
    /// pushed on the new task's stack.
    /// </summary>
    internal void SwitchTask(ushort selector, ulong descriptor, TaskSwitchReason reason, ulong returnIp, uint? errorCode = null)
    {
        uint tssError = (uint)(selector & 0xFFFC);
        int type = (int)((descriptor >> 40) & 0x1F);
        if (!IsTssType(type))
        {
            throw new GuestFault(reason == TaskSwitchReason.Return ? Vectors.TS : Vectors.GP, tssError);
        }
        bool busy = (type & 2) != 0;
        if (reason == TaskSwitchReason.Return ? !busy : busy)
        {
            throw new GuestFault(reason == TaskSwitchReason.Return ? Vectors.TS : Vectors.GP, tssError);
        }
        var tss = Segment.FromDescriptor(selector, descriptor);
        if (!tss.Present)
        {
            throw new GuestFault(Vectors.NP, tssError);
        }
        var layout = (type & 8) != 0 ? TssLayout.Tss32 : TssLayout.Tss16;
        if (tss.Limit < (uint)layout.MinimumLimit)
        {
            throw new GuestFault(Vectors.TS, tssError);
        }
        var oldLayout = (Tr.Type & 8) != 0 ? TssLayout.Tss32 : TssLayout.Tss16;
        if (Tr.Limit < (uint)oldLayout.MinimumLimit)
        {
            throw new GuestFault(Vectors.TS, (uint)(Tr.Selector & 0xFFFC));
        }

        // Read the whole incoming state first: a #PF here happens in the old task, with nothing changed.
        int w = layout.Width;
        ulong newIp = ReadSystem(tss.Base + (ulong)layout.Ip, w);
        uint newFlags = (uint)ReadSystem(tss.Base + (ulong)layout.Flags, w);
        var newRegs = new ulong[8];
        for (int r = 0; r < 8; r++)
        {
            newRegs[r] = ReadSystem(tss.Base + (ulong)(layout.Registers + r * w), w);
        }
        var newSelectors = new ushort[6];
        for (int s = 0; s < layout.SegmentCount; s++)
        {
            newSelectors[s] = (ushort)ReadSystem(tss.Base + (ulong)(layout.Segments + s * w), 2);
        }
        ushort newLdt = (ushort)ReadSystem(tss.Base + (ulong)layout.Ldt, 2);
        ulong newCr3 = w == 4 && PagingEnabled ? ReadSystem(tss.Base + TssCr3, 4) : Cr3;

        // Commit. The outgoing task's dynamic fields go into its TSS.
        uint oldFlags = GetFlags();
        if (reason == TaskSwitchReason.Return)
        {
            oldFlags &= ~NT;
        }
        if (reason is TaskSwitchReason.Jump or TaskSwitchReason.Return)
        {
            SetDescriptorBusy(Tr.Selector, false);
        }
        int ow = oldLayout.Width;
        ulong oldBase = Tr.Base;
        WriteSystem(oldBase + (ulong)oldLayout.Ip, ow, returnIp);
        WriteSystem(oldBase + (ulong)oldLayout.Flags, ow, oldFlags);
        for (int r = 0; r < 8; r++)
        {
            WriteSystem(oldBase + (ulong)(oldLayout.Registers + r * ow), ow, R[r]);
        }
        for (int s = 0; s < oldLayout.SegmentCount; s++)
        {
            WriteSystem(oldBase + (ulong)(oldLayout.Segments + s * ow), 2, Seg[s].Selector);
        }
        if (reason is TaskSwitchReason.Call or TaskSwitchReason.Interrupt)
        {
            WriteSystem(tss.Base, 2, Tr.Selector);
            newFlags |= NT;
        }
        if (reason != TaskSwitchReason.Return)
        {
            SetDescriptorBusy(selector, true);
        }
        tss.Attr |= 2;
        Tr = tss;
        Cr0 |= 8;
        Cr3 = newCr3;
        if ((Dr[7] & DebugLocalEnables) != 0)
        {
            // Local breakpoints belong to the old task (SDM vol. 3, 17.2.4): L0-L3 clear on every switch.
            WriteDebugRegister(7, Dr[7] & ~DebugLocalEnables);
        }
        for (int r = 0; r < 8; r++)
        {
            R[r] = w == 4 ? newRegs[r] : (R[r] & ~0xFFFFUL) | newRegs[r];
        }
        SetFlags(newFlags & ~VM);
        Rip = w == 4 ? newIp : newIp & 0xFFFF;
        LoadTaskSegments(newLdt, newSelectors);
        if (errorCode.HasValue)
        {
            Push(errorCode.Value, w);
        }
    }

    private void SetDescriptorBusy(ushort selector, bool busy)
    {
        ulong at = Gdtr.Base + (uint)(selector & 0xFFF8) + 5;
        ulong access = ReadSystem(at, 1);
        WriteSystem(at, 1, busy ? access | 2 : access & ~2UL);
    }

    /// <summary>
    /// The new task's LDT, CS, SS, DS, ES, FS and GS, in the order of SDM table 7-1. Every selector
    /// is in place before the first descriptor is checked, so a fault finds the new task's
    /// selectors (with empty caches for the ones not loaded yet).
    /// </summary>
    private void LoadTaskSegments(ushort ldt, ushort[] selectors)
    {
        Ldtr = new Segment { Selector = ldt };
        for (int s = 0; s < 6; s++)
        {
            Seg[s] = new Segment { Selector = selectors[s] };
            SegBase[s] = 0;
        }
        try
        {
            LoadTaskLdt(ldt);
            ushort cs = selectors[X86Decoder.CS];
            int cpl = cs & 3;
            LoadTaskCode(cs);
            LoadTaskStack(selectors[X86Decoder.SS], cpl);
            foreach (int s in new[] { X86Decoder.DS, X86Decoder.ES, X86Decoder.FS, X86Decoder.GS })
            {
                LoadTaskData(s, selectors[s], cpl);
            }
        }
        finally
        {
            UpdateMode();
        }
    }

    private void LoadTaskLdt(ushort selector)
    {
        if ((selector & 0xFFFC) == 0)
        {
            return;
        }
        uint error = (uint)(selector & 0xFFFC);
        if ((selector & 4) != 0) { throw new GuestFault(Vectors.TS, error); }
        var ldt = Segment.FromDescriptor(selector, ReadDescriptor(selector, Vectors.TS));
        if ((ldt.Attr & 0x1F) != 0x02 || !ldt.Present) { throw new GuestFault(Vectors.TS, error); }
        Ldtr = ldt;
    }

    private void LoadTaskCode(ushort selector)
    {
        uint error = (uint)(selector & 0xFFFC);
        if (error == 0) { throw new GuestFault(Vectors.TS, 0); }
        ulong d = ReadDescriptor(selector, Vectors.TS);
        var cs = Segment.FromDescriptor(selector, d);
        int rpl = selector & 3;
        bool conforming = (cs.Attr & 4) != 0;
        if (!cs.IsCode || (conforming ? cs.Dpl > rpl : cs.Dpl != rpl)) { throw new GuestFault(Vectors.TS, error); }
        if (!cs.Present) { throw new GuestFault(Vectors.NP, error); }
        MarkAccessed(selector, d);
        cs.Attr |= 1;
        Seg[X86Decoder.CS] = cs;
    }

    private void LoadTaskStack(ushort selector, int cpl)
    {
        uint error = (uint)(selector & 0xFFFC);
        if (error == 0) { throw new GuestFault(Vectors.TS, 0); }
        ulong d = ReadDescriptor(selector, Vectors.TS);
        var ss = Segment.FromDescriptor(selector, d);
        bool writableData = (ss.Attr & 0x18) == 0x10 && (ss.Attr & 2) != 0;
        if (!writableData || (selector & 3) != cpl || ss.Dpl != cpl) { throw new GuestFault(Vectors.TS, error); }
        if (!ss.Present) { throw new GuestFault(Vectors.SS, error); }
        MarkAccessed(selector, d);
        ss.Attr |= 1;
        Seg[X86Decoder.SS] = ss;
        SegBase[X86Decoder.SS] = ss.Base;
    }

    private void LoadTaskData(int index, ushort selector, int cpl)
    {
        uint error = (uint)(selector & 0xFFFC);
        if (error == 0)
        {
            return;
        }
        ulong d = ReadDescriptor(selector, Vectors.TS);
        var seg = Segment.FromDescriptor(selector, d);
        bool system = (seg.Attr & 0x10) == 0;
        bool readable = !system && (!seg.IsCode || (seg.Attr & 2) != 0);
        bool conformingCode = seg.IsCode && (seg.Attr & 4) != 0;
        if (!readable || (!conformingCode && (seg.Dpl < cpl || seg.Dpl < (selector & 3)))) { throw new GuestFault(Vectors.TS, error); }
        if (!seg.Present) { throw new GuestFault(Vectors.NP, error); }
        MarkAccessed(selector, d);
        seg.Attr |= 1;
        Seg[index] = seg;
        SegBase[index] = seg.Base;
    }

    /// <summary>IRET with EFLAGS.NT: back to the task named by the current TSS's back link.</summary>
    internal void ReturnFromNestedTask(ulong returnIp)
    {
        ushort link = (ushort)ReadSystem(Tr.Base, 2);
        if ((link & 4) != 0 || (link & 0xFFFC) == 0)
        {
            throw new GuestFault(Vectors.TS, (uint)(link & 0xFFFC));
        }
        ulong d = ReadDescriptor(link, Vectors.TS);
        SwitchTask(link, d, TaskSwitchReason.Return, returnIp);
    }
}
