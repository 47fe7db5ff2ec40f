namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// System instructions: control and debug registers, descriptor tables, MSRs, CPUID, TSC,
/// SYSCALL/SYSENTER and HLT. Privileged ones raise #GP(0) above CPL 0.
/// </summary>
public sealed partial class X86Cpu
{
    // MSR numbers (Intel SDM vol. 4).
    public const uint MsrTsc = 0x10, MsrApicBase = 0x1B, MsrSysenterCs = 0x174, MsrSysenterEsp = 0x175, MsrSysenterEip = 0x176,
        MsrMiscEnable = 0x1A0, MsrPat = 0x277, MsrEfer = 0xC0000080, MsrStar = 0xC0000081, MsrLstar = 0xC0000082,
        MsrCstar = 0xC0000083, MsrSfmask = 0xC0000084, MsrFsBase = 0xC0000100, MsrGsBase = 0xC0000101, MsrKernelGsBase = 0xC0000102,
        MsrTscAux = 0xC0000103;

    private void RequireCpl0()
    {
        if (ProtectedMode && Cpl != 0)
        {
            throw new GuestFault(Vectors.GP, 0);
        }
    }

    /// <summary>Returns false when the instruction set RIP itself.</summary>
    private bool ExecuteSystem(ref Insn i, ulong next)
    {
        int size = i.OpSize;
        switch (i.Op)
        {
            case Op.Hlt:
                RequireCpl0();
                Halted = true;
                return true;
            case Op.Cpuid: Cpuid(); return true;
            case Op.Rdtsc:
                if ((Cr4 & 4) != 0 && Cpl != 0 && ProtectedMode) { throw new GuestFault(Vectors.GP, 0); }
                {
                    ulong tsc = Tsc;
                    R[RAX] = (uint)tsc;
                    R[RDX] = tsc >> 32;
                }
                return true;
            case Op.Rdtscp:
                {
                    ulong tsc = Tsc;
                    R[RAX] = (uint)tsc;
                    R[RDX] = tsc >> 32;
                    R[RCX] = (uint)GetMsr(MsrTscAux);
                    return true;
                }
            case Op.Rdmsr:
                RequireCpl0();
                {
                    ulong v = ReadMsr((uint)R[RCX]);
                    R[RAX] = (uint)v;
                    R[RDX] = v >> 32;
                }
                return true;
            case Op.Wrmsr:
                RequireCpl0();
                WriteMsr((uint)R[RCX], (uint)R[RAX] | ((ulong)(uint)R[RDX] << 32));
                return true;
            case Op.MovFromCr:
                RequireCpl0();
                SetReg(i.Rm, size, i.Reg switch
                {
                    0 => Cr0,
                    2 => Cr2,
                    3 => Cr3,
                    4 => Cr4,
                    8 => Cr8,
                    _ => throw new GuestFault(Vectors.UD),
                });
                return true;
            case Op.MovToCr:
                RequireCpl0();
                WriteCr(i.Reg, GetReg(i.Rm, size));
                return true;
            case Op.MovFromDr:
                RequireCpl0();
                SetReg(i.Rm, size, Dr[i.Reg & 7]);
                return true;
            case Op.MovToDr:
                RequireCpl0();
                WriteDebugRegister(i.Reg & 7, GetReg(i.Rm, size));
                return true;
            case Op.Lgdt:
            case Op.Lidt:
                {
                    RequireCpl0();
                    ulong lin = Linear(ref i);
                    ushort limit = (ushort)ReadMem(lin, 2);
                    ulong b = ReadMem((lin + 2) & LinearMask, CodeBits == 64 ? 8 : 4);
                    if (CodeBits != 64 && size == 2) { b &= 0xFFFFFF; }
                    var t = new DescriptorTable { Base = b, Limit = limit };
                    if (i.Op == Op.Lgdt) { Gdtr = t; } else { Idtr = t; }
                    return true;
                }
            case Op.Sgdt:
            case Op.Sidt:
                {
                    var t = i.Op == Op.Sgdt ? Gdtr : Idtr;
                    ulong lin = Linear(ref i);
                    WriteMem(lin, 2, t.Limit);
                    WriteMem((lin + 2) & LinearMask, CodeBits == 64 ? 8 : 4, t.Base);
                    return true;
                }
            case Op.Sldt: WriteRm(ref i, Ldtr.Selector); return true;
            case Op.Str: WriteRm(ref i, Tr.Selector); return true;
            case Op.Lldt:
                {
                    RequireProtected();
                    RequireCpl0();
                    ushort sel = (ushort)ReadRm(ref i);
                    if ((sel & 0xFFFC) == 0) { Ldtr = new Segment { Selector = sel }; return true; }
                    ulong d = ReadDescriptor(sel);
                    var s = SystemDescriptor(sel, d);
                    if ((s.Attr & 0x1F) != 0x02) { throw new GuestFault(Vectors.GP, (uint)(sel & 0xFFFC)); }
                    if (!s.Present) { throw new GuestFault(Vectors.NP, (uint)(sel & 0xFFFC)); }
                    Ldtr = s;
                    return true;
                }
            case Op.Ltr:
                {
                    RequireProtected();
                    RequireCpl0();
                    ushort sel = (ushort)ReadRm(ref i);
                    if ((sel & 0xFFFC) == 0 || (sel & 4) != 0) { throw new GuestFault(Vectors.GP, (uint)(sel & 0xFFFC)); }
                    ulong d = ReadDescriptor(sel);
                    var s = SystemDescriptor(sel, d);
                    int type = s.Attr & 0x1F;
                    if (type != 0x09 && type != 0x01) { throw new GuestFault(Vectors.GP, (uint)(sel & 0xFFFC)); }
                    if (!s.Present) { throw new GuestFault(Vectors.NP, (uint)(sel & 0xFFFC)); }
                    // Mark the descriptor busy, as the hardware does.
                    WriteSystem(Gdtr.Base + (uint)(sel & 0xFFF8) + 5, 1, ((d >> 40) & 0xFF) | 2);
                    s.Attr |= 2;
                    Tr = s;
                    return true;
                }
            case Op.Smsw: WriteRm(ref i, Cr0 & (size == 2 ? 0xFFFFUL : ~0UL)); return true;
            case Op.Lmsw:
                RequireCpl0();
                {
                    // LMSW can set PE but never clear it, and touches only the low four bits.
                    ulong v = ReadRm(ref i) & 0xF;
                    WriteCr(0, (Cr0 & ~0xEUL) | v | (Cr0 & 1));
                }
                return true;
            case Op.Invlpg:
                RequireCpl0();
                FlushTlbPage(Linear(ref i));
                return true;
            case Op.Clts:
                RequireCpl0();
                Cr0 &= ~8UL;
                return true;
            case Op.Swapgs:
                RequireCpl0();
                {
                    ulong k = GetMsr(MsrKernelGsBase);
                    msrs[MsrKernelGsBase] = Seg[X86Decoder.GS].Base;
                    Seg[X86Decoder.GS].Base = k;
                    SegBase[X86Decoder.GS] = k;
                }
                return true;
            case Op.Xgetbv:
                if ((uint)R[RCX] != 0) { throw new GuestFault(Vectors.GP, 0); }
                R[RAX] = (uint)Xcr0;
                R[RDX] = Xcr0 >> 32;
                return true;
            case Op.Rdrand:
                SetReg(i.Rm, size, (ulong)Random.Shared.NextInt64());
                SetArith(ArithFlags, CF);
                return true;
            case Op.Syscall: Syscall(next); return false;
            case Op.Sysret: Sysret(size); return false;
            case Op.Sysenter: Sysenter(); return false;
            case Op.Sysexit: Sysexit(size); return false;
            case Op.Lar:
            case Op.Lsl:
            case Op.Verr:
            case Op.Verw:
                DescriptorQuery(ref i);
                return true;
            case Op.Arpl:
                {
                    RequireProtected();
                    ulong lin = i.IsMem ? Linear(ref i) : 0;
                    ushort dst = (ushort)(i.IsMem ? ReadMem(lin, 2) : GetReg(i.Rm, 2));
                    ushort src = (ushort)GetReg(i.Reg, 2);
                    if ((dst & 3) < (src & 3))
                    {
                        dst = (ushort)((dst & ~3) | (src & 3));
                        if (i.IsMem) { WriteMem(lin, 2, dst); } else { SetReg(i.Rm, 2, dst); }
                        SetArith(ZF, ZF);
                    }
                    else
                    {
                        SetArith(ZF, 0);
                    }
                    return true;
                }
            case Op.LoadFarPointer:
                {
                    ulong lin = Linear(ref i);
                    ulong offset = ReadMem(lin, size);
                    ushort sel = (ushort)ReadMem((lin + (ulong)size) & LinearMask, 2);
                    LoadSegment(i.Sub, sel);
                    SetReg(i.Reg, size, offset);
                    if (i.Sub == X86Decoder.SS) { interruptShadow = true; }
                    return true;
                }
        }
        throw new GuestFault(Vectors.UD);
    }

    private void RequireProtected()
    {
        if (!ProtectedMode || Virtual8086) { throw new GuestFault(Vectors.UD); }
    }

    /// <summary>An LDT or TSS descriptor: 16 bytes in long mode, the upper half holding base bits 32..63.</summary>
    private Segment SystemDescriptor(ushort sel, ulong d)
    {
        var s = Segment.FromDescriptor(sel, d);
        if (LongModeActive)
        {
            s.Base |= (ReadSystem(Gdtr.Base + (uint)(sel & 0xFFF8) + 8, 8) & 0xFFFFFFFF) << 32;
        }
        return s;
    }

    /// <summary>LAR, LSL, VERR, VERW: ZF tells whether the selector is usable at this CPL.</summary>
    private void DescriptorQuery(ref Insn i)
    {
        RequireProtected();
        ushort sel = (ushort)ReadRm(ref i);
        ulong d;
        try
        {
            if ((sel & 0xFFFC) == 0) { SetArith(ZF, 0); return; }
            d = ReadDescriptor(sel);
        }
        catch (GuestFault)
        {
            SetArith(ZF, 0);
            return;
        }
        var s = Segment.FromDescriptor(sel, d);
        bool system = (s.Attr & 0x10) == 0;
        bool conforming = s.IsCode && (s.Attr & 4) != 0;
        bool visible = conforming || (s.Dpl >= Cpl && s.Dpl >= (sel & 3));
        bool ok = i.Op switch
        {
            Op.Verr => !system && visible && (!s.IsCode || (s.Attr & 2) != 0),
            Op.Verw => !system && visible && !s.IsCode && (s.Attr & 2) != 0,
            _ => visible && (!system || (s.Attr & 0xF) is 1 or 2 or 3 or 9 or 11 || (i.Op == Op.Lar && (s.Attr & 0xF) is 4 or 5 or 12)),
        };
        SetArith(ZF, ok ? ZF : 0);
        if (!ok) { return; }
        if (i.Op == Op.Lar) { SetReg(i.Reg, i.OpSize, d >> 32 & 0x00F0FF00); }
        if (i.Op == Op.Lsl) { SetReg(i.Reg, i.OpSize, s.Limit); }
    }

    internal void WriteCr(int cr, ulong v)
    {
        switch (cr)
        {
            case 0:
                {
                    if ((v & 0x80000001) == 0x80000000) { throw new GuestFault(Vectors.GP, 0); }
                    bool pagingOn = (v & 0x80000000) != 0 && (Cr0 & 0x80000000) == 0;
                    if (pagingOn && (Efer & 0x100) != 0)
                    {
                        if ((Cr4 & 0x20) == 0) { throw new GuestFault(Vectors.GP, 0); }
                        Efer |= 0x400;
                    }
                    if ((v & 0x80000000) == 0) { Efer &= ~0x400UL; }
                    Cr0 = (v & 0xFFFFFFFF) | 0x10;
                    break;
                }
            case 2: Cr2 = v; return;
            case 3: Cr3 = v; break;
            case 4: Cr4 = v; break;
            case 8: Cr8 = v & 0xF; return;
            default: throw new GuestFault(Vectors.UD);
        }
        UpdateMode();
    }

    private ulong Tsc => InstructionCount + TscOffset;

    internal ulong ReadMsr(uint index)
    {
        switch (index)
        {
            case MsrTsc: return Tsc;
            case MsrEfer: return Efer;
            case MsrFsBase: return Seg[X86Decoder.FS].Base;
            case MsrGsBase: return Seg[X86Decoder.GS].Base;
            case MsrApicBase: return msrs.TryGetValue(index, out ulong a) ? a : 0xFEE00900;
            case MsrPat: return msrs.TryGetValue(index, out ulong p) ? p : 0x0007040600070406;
        }
        if (IsKnownMsr(index)) { return GetMsr(index); }
        throw new GuestFault(Vectors.GP, 0);
    }

    internal void WriteMsr(uint index, ulong v)
    {
        switch (index)
        {
            case MsrTsc: TscOffset = v - InstructionCount; return;
            case MsrEfer:
                // LMA is read-only: it follows LME when paging is switched on.
                Efer = (v & 0xD01) | (Efer & 0x400);
                UpdateMode();
                return;
            case MsrFsBase: Seg[X86Decoder.FS].Base = v; SegBase[X86Decoder.FS] = v; return;
            case MsrGsBase: Seg[X86Decoder.GS].Base = v; SegBase[X86Decoder.GS] = v; return;
        }
        if (!IsKnownMsr(index)) { throw new GuestFault(Vectors.GP, 0); }
        msrs[index] = v;
    }

    private static bool IsKnownMsr(uint index) =>
        index is MsrApicBase or MsrSysenterCs or MsrSysenterEsp or MsrSysenterEip or MsrMiscEnable or MsrPat
            or MsrStar or MsrLstar or MsrCstar or MsrSfmask or MsrKernelGsBase or MsrTscAux
            or 0x8B or 0xFE or 0x2FF or 0x179 or 0x17A or 0x3A
        || (index >= 0x200 && index < 0x210) || (index >= 0x250 && index < 0x270);

    private void Cpuid()
    {
        uint leaf = (uint)R[RAX], sub = (uint)R[RCX];
        (uint a, uint b, uint c, uint d) = CpuidLeaf(leaf, sub);
        R[RAX] = a;
        R[RBX] = b;
        R[RCX] = c;
        R[RDX] = d;
    }

    /// <summary>Leaf 1 EDX: CLFSH (19), FXSR (24), SSE (25), SSE2 (26); see X86Cpu.Sse.</summary>
    private const uint CpuidSseBits = (1u << 19) | (1u << 24) | (1u << 25) | (1u << 26);

    /// <summary>
    /// What the emulator reports: an Intel family-6 CPU with the features it implements (FPU, TSC,
    /// MSR, PAE, CX8, SEP, PGE, CMOV, PAT, PSE, NX, LM, SYSCALL, POPCNT, CLFSH, FXSR, SSE, SSE2),
    /// without SSE3 or later.
    /// </summary>
    public static (uint Eax, uint Ebx, uint Ecx, uint Edx) CpuidLeaf(uint leaf, uint sub)
    {
        const uint vendorB = 0x756E6547, vendorD = 0x49656E69, vendorC = 0x6C65746E; // "GenuineIntel"
        return leaf switch
        {
            0 => (7, vendorB, vendorC, vendorD),
            1 => (0x000306A9, 0x00010800, 1u << 23,
                1u | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 11) | (1u << 13) | (1u << 15) | (1u << 16)
                | CpuidSseBits),
            7 => (0, 0, 0, 0),
            0x80000000 => (0x80000008, 0, 0, 0),
            0x80000001 => (0, 0, 1u << 5, (1u << 11) | (1u << 20) | (1u << 29)),
            0x80000002 => (0x74726956, 0x6C6F6F54, 0x6D452073, 0x74616C75), // "VirtTools Emulat"
            0x80000003 => (0x0000726F, 0, 0, 0),                            // "or"
            0x80000004 => (0, 0, 0, 0),
            0x80000008 => (0x3028, 0, 0, 0),
            _ => (0, 0, 0, 0),
        };
    }

    private void Syscall(ulong next)
    {
        if ((Efer & 1) == 0) { throw new GuestFault(Vectors.UD); }
        ulong star = GetMsr(MsrStar);
        R[RCX] = next;
        R[11] = GetFlags();
        ushort cs = (ushort)((star >> 32) & 0xFFFC);
        Seg[X86Decoder.CS] = new Segment { Selector = cs, Limit = 0xFFFFFFFF, Attr = 0xA09B };
        Seg[X86Decoder.SS] = new Segment { Selector = (ushort)(cs + 8), Limit = 0xFFFFFFFF, Attr = 0xC093 };
        SetFlags(GetFlags() & ~(uint)GetMsr(MsrSfmask));
        Rip = GetMsr(MsrLstar);
        UpdateMode();
    }

    private void Sysret(int size)
    {
        RequireCpl0();
        if ((Efer & 1) == 0) { throw new GuestFault(Vectors.UD); }
        ulong star = GetMsr(MsrStar);
        ushort baseSel = (ushort)(star >> 48);
        if (size == 8)
        {
            Seg[X86Decoder.CS] = new Segment { Selector = (ushort)((baseSel + 16) | 3), Limit = 0xFFFFFFFF, Attr = 0xA0FB };
            Rip = R[RCX];
        }
        else
        {
            Seg[X86Decoder.CS] = new Segment { Selector = (ushort)(baseSel | 3), Limit = 0xFFFFFFFF, Attr = 0xC0FB };
            Rip = (uint)R[RCX];
        }
        Seg[X86Decoder.SS] = new Segment { Selector = (ushort)((baseSel + 8) | 3), Limit = 0xFFFFFFFF, Attr = 0xC0F3 };
        SetFlags(((uint)R[11] & 0x3C7FD7) | 2);
        UpdateMode();
    }

    private void Sysenter()
    {
        ushort cs = (ushort)GetMsr(MsrSysenterCs);
        if (!ProtectedMode || (cs & 0xFFFC) == 0) { throw new GuestFault(Vectors.GP, 0); }
        bool to64 = LongModeActive;
        eflags &= ~(VM | IF | RF);
        Seg[X86Decoder.CS] = new Segment { Selector = (ushort)(cs & 0xFFFC), Limit = 0xFFFFFFFF, Attr = (ushort)(to64 ? 0xA09B : 0xC09B) };
        Seg[X86Decoder.SS] = new Segment { Selector = (ushort)((cs & 0xFFFC) + 8), Limit = 0xFFFFFFFF, Attr = 0xC093 };
        Rip = to64 ? GetMsr(MsrSysenterEip) : (uint)GetMsr(MsrSysenterEip);
        R[RSP] = to64 ? GetMsr(MsrSysenterEsp) : (uint)GetMsr(MsrSysenterEsp);
        UpdateMode();
    }

    private void Sysexit(int size)
    {
        ushort cs = (ushort)GetMsr(MsrSysenterCs);
        if (!ProtectedMode || Cpl != 0 || (cs & 0xFFFC) == 0) { throw new GuestFault(Vectors.GP, 0); }
        bool to64 = size == 8;
        Seg[X86Decoder.CS] = new Segment { Selector = (ushort)(((cs & 0xFFFC) + (to64 ? 32 : 16)) | 3), Limit = 0xFFFFFFFF, Attr = (ushort)(to64 ? 0xA0FB : 0xC0FB) };
        Seg[X86Decoder.SS] = new Segment { Selector = (ushort)(((cs & 0xFFFC) + (to64 ? 40 : 24)) | 3), Limit = 0xFFFFFFFF, Attr = 0xC0F3 };
        Rip = to64 ? R[RDX] : (uint)R[RDX];
        R[RSP] = to64 ? R[RCX] : (uint)R[RCX];
        UpdateMode();
    }
}
