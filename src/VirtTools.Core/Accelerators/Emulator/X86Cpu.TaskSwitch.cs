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
/// (TSS descriptor type and busy bit, present, limit), the new TSS is read whole and every page
/// the switch writes is translated before anything changes, so those faults leave the CPU and
/// memory as they were. Then the commit: the outgoing state goes into
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
    /// <summary>
    /// Offsets inside a 32-bit or 16-bit TSS (SDM vol. 3, figures 7-2 and 7-11). A task is entered
    /// only through a TSS of at least <c>MinimumLimit</c>; saving one writes up to <c>SavedLimit</c>
    /// (the dynamic fields; Bochs checks the outgoing TSS against that).
    /// </summary>
    private sealed record TssLayout(int MinimumLimit, int SavedLimit, int Width, int Ip, int Flags, int Registers, int Segments, int SegmentCount, int Ldt)
    {
        public static readonly TssLayout Tss32 = new(0x67, 0x5F, 4, 0x20, 0x24, 0x28, 0x48, 6, 0x60);
        public static readonly TssLayout Tss16 = new(0x2B, 0x29, 2, 0x0E, 0x10, 0x12, 0x22, 4, 0x2A);

        public static TssLayout Of(int type) => (type & 8) != 0 ? Tss32 : Tss16;
    }

    /// <summary>What a TSS holds for the task it describes, read before the switch commits.</summary>
    private sealed class TaskImage
    {
        public ulong Ip;
        public uint Flags;
        public readonly ulong[] Registers = new ulong[8];
        /// <summary>ES, CS, SS, DS, FS, GS; a 16-bit TSS has no FS and GS, which load as null.</summary>
        public readonly ushort[] Selectors = new ushort[6];
        public ushort Ldt;
        public ulong? Cr3;
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
        var tss = CheckIncomingTss(selector, descriptor, reason);
        var layout = TssLayout.Of(tss.Type);
        var oldLayout = TssLayout.Of(Tr.Type);
        if (Tr.Limit < (uint)oldLayout.SavedLimit)
        {
            throw new GuestFault(Vectors.TS, (uint)(Tr.Selector & 0xFFFC));
        }
        var image = ReadTaskImage(tss.Base, layout);
        ProbeSystemWrite(Tr.Base, oldLayout.SavedLimit + 1);
        ProbeSystemWrite(Gdtr.Base + (uint)(Tr.Selector & 0xFFF8) + 5, 1);
        ProbeSystemWrite(Gdtr.Base + (uint)(selector & 0xFFF8) + 5, 1);
        ProbeSystemWrite(tss.Base, 2);

        // The commit: from here on a fault belongs to the new task.
        SaveOutgoingTask(oldLayout, reason, returnIp);
        if (reason is TaskSwitchReason.Call or TaskSwitchReason.Interrupt)
        {
            WriteSystem(tss.Base, 2, Tr.Selector);
            image.Flags |= NT;
        }
        if (reason != TaskSwitchReason.Return)
        {
            SetDescriptorBusy(selector, true);
        }
        tss.Attr |= 2;
        Tr = tss;
        Cr0 |= 8;
        Cr3 = image.Cr3 ?? Cr3;
        if ((Dr[7] & DebugLocalEnables) != 0)
        {
            // Local breakpoints belong to the old task (SDM vol. 3, 17.2.4): L0-L3 clear on every switch.
            WriteDebugRegister(7, Dr[7] & ~DebugLocalEnables);
        }
        bool wide = layout.Width == 4;
        for (int r = 0; r < 8; r++)
        {
            R[r] = wide ? image.Registers[r] : (R[r] & ~0xFFFFUL) | image.Registers[r];
        }
        SetFlags(image.Flags & ~VM);
        Rip = wide ? image.Ip : image.Ip & 0xFFFF;
        LoadTaskSegments(image.Ldt, image.Selectors);
        if (errorCode.HasValue)
        {
            Push(errorCode.Value, layout.Width);
        }
    }

    /// <summary>
    /// The checks of SDM table 7-1 that fault in the old task: a TSS type (#GP, or #TS for IRET),
    /// not busy (busy for IRET), present (#NP), a limit of at least 67h or 2Bh (#TS).
    /// </summary>
    private static Segment CheckIncomingTss(ushort selector, ulong descriptor, TaskSwitchReason reason)
    {
        uint error = (uint)(selector & 0xFFFC);
        int wrongType = reason == TaskSwitchReason.Return ? Vectors.TS : Vectors.GP;
        int type = (int)((descriptor >> 40) & 0x1F);
        if (!IsTssType(type))
        {
            throw new GuestFault(wrongType, error);
        }
        bool busy = (type & 2) != 0;
        if (reason == TaskSwitchReason.Return ? !busy : busy)
        {
            throw new GuestFault(wrongType, error);
        }
        var tss = Segment.FromDescriptor(selector, descriptor);
        if (!tss.Present)
        {
            throw new GuestFault(Vectors.NP, error);
        }
        if (tss.Limit < (uint)TssLayout.Of(type).MinimumLimit)
        {
            throw new GuestFault(Vectors.TS, error);
        }
        return tss;
    }

    /// <summary>Reads the incoming task whole, so a #PF on its TSS happens in the old task with nothing changed.</summary>
    private TaskImage ReadTaskImage(ulong tssBase, TssLayout layout)
    {
        int w = layout.Width;
        var image = new TaskImage
        {
            Ip = ReadSystem(tssBase + (ulong)layout.Ip, w),
            Flags = (uint)ReadSystem(tssBase + (ulong)layout.Flags, w),
            Ldt = (ushort)ReadSystem(tssBase + (ulong)layout.Ldt, 2),
            // CR3 is in the 32-bit TSS only, and loaded only with paging on.
            Cr3 = w == 4 && PagingEnabled ? ReadSystem(tssBase + TssCr3, 4) : null,
        };
        for (int r = 0; r < 8; r++)
        {
            image.Registers[r] = ReadSystem(tssBase + (ulong)(layout.Registers + r * w), w);
        }
        for (int s = 0; s < layout.SegmentCount; s++)
        {
            image.Selectors[s] = (ushort)ReadSystem(tssBase + (ulong)(layout.Segments + s * w), 2);
        }
        return image;
    }

    /// <summary>
    /// The outgoing task's dynamic fields into its TSS (CR3, the LDT selector and the I/O map base
    /// are static and stay as they are); JMP and IRET free it, IRET also clears NT in its image.
    /// </summary>
    private void SaveOutgoingTask(TssLayout layout, TaskSwitchReason reason, ulong returnIp)
    {
        uint flags = GetFlags();
        if (reason == TaskSwitchReason.Return)
        {
            flags &= ~NT;
        }
        if (reason is TaskSwitchReason.Jump or TaskSwitchReason.Return)
        {
            SetDescriptorBusy(Tr.Selector, false);
        }
        int w = layout.Width;
        ulong at = Tr.Base;
        WriteSystem(at + (ulong)layout.Ip, w, returnIp);
        WriteSystem(at + (ulong)layout.Flags, w, flags);
        for (int r = 0; r < 8; r++)
        {
            WriteSystem(at + (ulong)(layout.Registers + r * w), w, R[r]);
        }
        for (int s = 0; s < layout.SegmentCount; s++)
        {
            WriteSystem(at + (ulong)(layout.Segments + s * w), 2, Seg[s].Selector);
        }
    }

    /// <summary>
    /// Translates every page of a range the switch will write, as a supervisor write: a #PF (a
    /// TSS or GDT page that is absent, or read-only under CR0.WP) comes before anything changes.
    /// </summary>
    private void ProbeSystemWrite(ulong linear, int length)
    {
        if (!PagingEnabled)
        {
            return;
        }
        ulong last = (linear + (ulong)length - 1) & LinearMask;
        for (ulong page = linear & LinearMask & ~0xFFFUL; ; page = (page + 0x1000) & LinearMask)
        {
            Translate(Math.Max(page, linear & LinearMask), AccessKind.Write, false);
            if (page == (last & ~0xFFFUL))
            {
                break;
            }
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
        var ss = ReadTssStackSegment(selector, cpl, out ulong d);
        MarkAccessed(selector, d);
        ss.Attr |= 1;
        Seg[X86Decoder.SS] = ss;
        SegBase[X86Decoder.SS] = ss.Base;
    }

    /// <summary>
    /// An SS that a TSS names (a task's own, or a call gate's inner stack): a present writable data
    /// segment with RPL = DPL = <paramref name="cpl"/>, else #TS(selector), or #SS(selector) when it
    /// is not present (SDM table 7-1).
    /// </summary>
    private Segment ReadTssStackSegment(ushort selector, int cpl, out ulong descriptor)
    {
        uint error = (uint)(selector & 0xFFFC);
        if (error == 0) { throw new GuestFault(Vectors.TS, 0); }
        descriptor = ReadDescriptor(selector, Vectors.TS);
        var ss = Segment.FromDescriptor(selector, descriptor);
        bool writableData = (ss.Attr & 0x18) == 0x10 && (ss.Attr & 2) != 0;
        if (!writableData || (selector & 3) != cpl || ss.Dpl != cpl) { throw new GuestFault(Vectors.TS, error); }
        if (!ss.Present) { throw new GuestFault(Vectors.SS, error); }
        return ss;
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
