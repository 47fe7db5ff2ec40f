using System.Runtime.Intrinsics;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// SSE/SSE2 state and the non-floating-point instructions: access checks, operands, moves,
/// bitwise and integer SIMD, shuffles, packs, shifts. Floating point is in X86Cpu.SseFloat,
/// MXCSR and FXSAVE/FXRSTOR in X86Cpu.SseState. Everything runs on the cold executor.
/// </summary>
public sealed partial class X86Cpu
{
    /// <summary>XMM0..XMM15 (XMM8..15 reachable with REX in 64-bit mode).</summary>
    internal readonly XmmRegister[] Xmm = new XmmRegister[16];

    public XmmRegister GetXmm(int index) => Xmm[index];

    public void SetXmm(int index, XmmRegister value) => Xmm[index] = value;

    private const ulong Cr0Em = 4, Cr0Ts = 8, Cr4Osfxsr = 0x200;

    /// <summary>
    /// SDM vol. 3, 2.5 and 13.1: an SSE instruction raises #UD when CR0.EM is set or CR4.OSFXSR is
    /// clear (the OS has not said it saves XMM state), then #NM when CR0.TS is set (lazy FPU switching).
    /// </summary>
    private void CheckSseAvailable()
    {
        if ((Cr0 & Cr0Em) != 0 || (Cr4 & Cr4Osfxsr) == 0)
        {
            throw new GuestFault(Vectors.UD);
        }
        if ((Cr0 & Cr0Ts) != 0)
        {
            throw new GuestFault(Vectors.NM);
        }
    }

    private void ExecuteSse(ref Insn i)
    {
        var op = (SseOp)i.Sub;
        switch (op)
        {
            case SseOp.Invalid:
                throw new GuestFault(Vectors.UD);
            case SseOp.Movnti:
                // An integer instruction (SSE2 without SSE state): no CR0/CR4 checks.
                WriteMem(Linear(ref i), i.OpSize, GetReg(i.Reg, i.OpSize));
                return;
            case SseOp.Clflush:
                // One coherent vCPU: nothing to write back. The address must still translate (#PF),
                // but is not read: a read of an MMIO register could have side effects.
                {
                    ulong lin = Linear(ref i);
                    if (PagingEnabled) { Translate(lin, AccessKind.Read); }
                }
                return;
            case SseOp.Fxsave:
            case SseOp.Fxrstor:
                // FXSAVE/FXRSTOR fault only for CR0.EM/TS (#NM); CR4.OSFXSR does not matter here.
                if ((Cr0 & (Cr0Em | Cr0Ts)) != 0) { throw new GuestFault(Vectors.NM); }
                if (op == SseOp.Fxsave) { Fxsave(ref i); } else { Fxrstor(ref i); }
                return;
        }
        CheckSseAvailable();
        if (op >= SseOp.FAdd && op <= SseOp.Cvttpd2dq)
        {
            ExecuteSseFloat(ref i, op);
            return;
        }
        ref XmmRegister dst = ref Xmm[i.Reg];
        switch (op)
        {
            case SseOp.Ldmxcsr:
                LoadMxcsr((uint)ReadMem(Linear(ref i), 4));
                return;
            case SseOp.Stmxcsr:
                WriteMem(Linear(ref i), 4, Mxcsr);
                return;
            case SseOp.Load128:
            case SseOp.Load128Unaligned:
                dst = ReadXmmOperand(ref i);
                return;
            case SseOp.Store128:
            case SseOp.Store128Unaligned:
                WriteXmmOperand(ref i, dst);
                return;
            case SseOp.MovScalarLoad:
                {
                    XmmRegister src = ReadXmmOperand(ref i);
                    if (i.IsMem) { dst = src; return; }
                    if (i.Simd == SimdForm.ScalarDouble) { dst.Lo = src.Lo; }
                    else { dst.Lo = (dst.Lo & 0xFFFFFFFF00000000) | (uint)src.Lo; }
                    return;
                }
            case SseOp.MovScalarStore:
                if (i.IsMem) { WriteMem(Linear(ref i), i.OpSize, Xmm[i.Reg].Lo); return; }
                {
                    ref XmmRegister to = ref Xmm[i.Rm];
                    if (i.Simd == SimdForm.ScalarDouble) { to.Lo = Xmm[i.Reg].Lo; }
                    else { to.Lo = (to.Lo & 0xFFFFFFFF00000000) | (uint)Xmm[i.Reg].Lo; }
                    return;
                }
            case SseOp.MovLowLoad: dst.Lo = ReadMem(Linear(ref i), 8); return;
            case SseOp.MovHighLoad: dst.Hi = ReadMem(Linear(ref i), 8); return;
            case SseOp.MovLowStore: WriteMem(Linear(ref i), 8, dst.Lo); return;
            case SseOp.MovHighStore: WriteMem(Linear(ref i), 8, dst.Hi); return;
            case SseOp.Movhlps: dst.Lo = Xmm[i.Rm].Hi; return;
            case SseOp.Movlhps: dst.Hi = Xmm[i.Rm].Lo; return;
            case SseOp.MovGprToXmm:
                dst = new XmmRegister(ReadRm(ref i), 0);
                return;
            case SseOp.MovXmmToGpr:
                if (i.IsMem) { WriteMem(Linear(ref i), i.OpSize, dst.Lo); }
                else { R[i.Rm] = i.OpSize == 8 ? dst.Lo : (uint)dst.Lo; }
                return;
            case SseOp.Pinsrw:
                {
                    ushort w = (ushort)(i.IsMem ? ReadMem(Linear(ref i), 2) : R[i.Rm]);
                    dst.As<ushort>()[(int)i.Imm & 7] = w;
                    return;
                }
            case SseOp.Pextrw:
                R[i.Reg] = Xmm[i.Rm].As<ushort>()[(int)i.Imm & 7];
                return;
            case SseOp.MovqLoad:
                dst = new XmmRegister(ReadXmmOperand(ref i).Lo, 0);
                return;
            case SseOp.MovqStore:
                if (i.IsMem) { WriteMem(Linear(ref i), 8, dst.Lo); }
                else { Xmm[i.Rm] = new XmmRegister(dst.Lo, 0); }
                return;
            case SseOp.Movmskps:
            case SseOp.Movmskpd:
            case SseOp.Pmovmskb:
                {
                    XmmRegister src = Xmm[i.Rm];
                    R[i.Reg] = op switch
                    {
                        SseOp.Movmskps => (uint)Vector128.ExtractMostSignificantBits(AsVector<uint>(src)),
                        SseOp.Movmskpd => (uint)Vector128.ExtractMostSignificantBits(AsVector<ulong>(src)),
                        _ => (uint)Vector128.ExtractMostSignificantBits(AsVector<byte>(src)),
                    };
                    return;
                }
            case SseOp.Maskmovdqu:
                {
                    // Stores the bytes of Reg whose mask byte (Rm) has its top bit set to DS:rDI.
                    XmmRegister data = dst, mask = Xmm[i.Rm];
                    ulong baseAddr = GetReg(RDI, i.AddrSize);
                    for (int k = 0; k < 16; k++)
                    {
                        if ((mask.As<byte>()[k] & 0x80) != 0)
                        {
                            ulong ea = (baseAddr + (ulong)k) & Mask(i.AddrSize);
                            WriteMem(Linear(i.Seg, ea), 1, data.As<byte>()[k]);
                        }
                    }
                    return;
                }
        }
        XmmRegister b = ReadXmmOperand(ref i);
        dst = op switch
        {
            SseOp.And => new XmmRegister(dst.Lo & b.Lo, dst.Hi & b.Hi),
            SseOp.AndNot => new XmmRegister(~dst.Lo & b.Lo, ~dst.Hi & b.Hi),
            SseOp.Or => new XmmRegister(dst.Lo | b.Lo, dst.Hi | b.Hi),
            SseOp.Xor => new XmmRegister(dst.Lo ^ b.Lo, dst.Hi ^ b.Hi),
            _ => SseInteger(op, i.Simd, dst, b, (int)i.Imm),
        };
    }

    /// <summary>The integer SIMD, shuffle, pack and shift operations: dst op= b.</summary>
    private static XmmRegister SseInteger(SseOp op, int e, XmmRegister a, XmmRegister b, int imm)
    {
        switch (op)
        {
            case SseOp.Padd:
                return e switch
                {
                    1 => FromVector(AsVector<byte>(a) + AsVector<byte>(b)),
                    2 => FromVector(AsVector<ushort>(a) + AsVector<ushort>(b)),
                    4 => FromVector(AsVector<uint>(a) + AsVector<uint>(b)),
                    _ => FromVector(AsVector<ulong>(a) + AsVector<ulong>(b)),
                };
            case SseOp.Psub:
                return e switch
                {
                    1 => FromVector(AsVector<byte>(a) - AsVector<byte>(b)),
                    2 => FromVector(AsVector<ushort>(a) - AsVector<ushort>(b)),
                    4 => FromVector(AsVector<uint>(a) - AsVector<uint>(b)),
                    _ => FromVector(AsVector<ulong>(a) - AsVector<ulong>(b)),
                };
            case SseOp.Pcmpeq:
                return e switch
                {
                    1 => FromVector(Vector128.Equals(AsVector<byte>(a), AsVector<byte>(b))),
                    2 => FromVector(Vector128.Equals(AsVector<ushort>(a), AsVector<ushort>(b))),
                    _ => FromVector(Vector128.Equals(AsVector<uint>(a), AsVector<uint>(b))),
                };
            case SseOp.Pcmpgt:
                return e switch
                {
                    1 => FromVector(Vector128.GreaterThan(AsVector<sbyte>(a), AsVector<sbyte>(b))),
                    2 => FromVector(Vector128.GreaterThan(AsVector<short>(a), AsVector<short>(b))),
                    _ => FromVector(Vector128.GreaterThan(AsVector<int>(a), AsVector<int>(b))),
                };
            case SseOp.Pminub: return FromVector(Vector128.Min(AsVector<byte>(a), AsVector<byte>(b)));
            case SseOp.Pmaxub: return FromVector(Vector128.Max(AsVector<byte>(a), AsVector<byte>(b)));
            case SseOp.Pminsw: return FromVector(Vector128.Min(AsVector<short>(a), AsVector<short>(b)));
            case SseOp.Pmaxsw: return FromVector(Vector128.Max(AsVector<short>(a), AsVector<short>(b)));
            case SseOp.Padds:
            case SseOp.Psubs:
            case SseOp.Paddus:
            case SseOp.Psubus:
                return Saturating(op, e, a, b);
            case SseOp.Pavgb: return Elementwise<byte>(a, b, static (x, y) => (byte)((x + y + 1) >> 1));
            case SseOp.Pavgw: return Elementwise<ushort>(a, b, static (x, y) => (ushort)((x + y + 1) >> 1));
            case SseOp.Pmullw: return Elementwise<short>(a, b, static (x, y) => (short)(x * y));
            case SseOp.Pmulhw: return Elementwise<short>(a, b, static (x, y) => (short)((x * y) >> 16));
            case SseOp.Pmulhuw: return Elementwise<ushort>(a, b, static (x, y) => (ushort)(((uint)x * y) >> 16));
            case SseOp.Pmuludq: return new XmmRegister((ulong)(uint)a.Lo * (uint)b.Lo, (ulong)(uint)a.Hi * (uint)b.Hi);
            case SseOp.Pmaddwd:
                {
                    var r = new XmmRegister();
                    Span<short> x = a.As<short>(), y = b.As<short>();
                    Span<int> o = r.As<int>();
                    for (int k = 0; k < 4; k++)
                    {
                        // 0x8000 * 0x8000 twice wraps to 0x80000000, as the hardware does.
                        o[k] = unchecked(x[2 * k] * y[2 * k] + x[2 * k + 1] * y[2 * k + 1]);
                    }
                    return r;
                }
            case SseOp.Psadbw:
                {
                    ulong lo = 0, hi = 0;
                    Span<byte> x = a.As<byte>(), y = b.As<byte>();
                    for (int k = 0; k < 8; k++)
                    {
                        lo += (ulong)Math.Abs(x[k] - y[k]);
                        hi += (ulong)Math.Abs(x[k + 8] - y[k + 8]);
                    }
                    return new XmmRegister(lo, hi);
                }
            case SseOp.Psll: case SseOp.Psrl: case SseOp.Psra:
                return Shift(op, e, a, b.Lo);
            case SseOp.PsllImm: return Shift(SseOp.Psll, e, a, (ulong)(imm & 0xFF));
            case SseOp.PsrlImm: return Shift(SseOp.Psrl, e, a, (ulong)(imm & 0xFF));
            case SseOp.PsraImm: return Shift(SseOp.Psra, e, a, (ulong)(imm & 0xFF));
            case SseOp.PslldqImm:
            case SseOp.PsrldqImm:
                {
                    int n = imm & 0xFF;
                    if (n > 15) { return default; }
                    UInt128 v = ((UInt128)a.Hi << 64) | a.Lo;
                    v = op == SseOp.PslldqImm ? v << (8 * n) : v >> (8 * n);
                    return new XmmRegister((ulong)v, (ulong)(v >> 64));
                }
            case SseOp.Punpckl:
            case SseOp.Punpckh:
                return Interleave(e, op == SseOp.Punpckh, a, b);
            case SseOp.Packsswb:
                return Pack<short, sbyte>(a, b, static v => (sbyte)Math.Clamp(v, sbyte.MinValue, sbyte.MaxValue));
            case SseOp.Packuswb:
                return Pack<short, byte>(a, b, static v => (byte)Math.Clamp(v, byte.MinValue, byte.MaxValue));
            case SseOp.Packssdw:
                return Pack<int, short>(a, b, static v => (short)Math.Clamp(v, short.MinValue, short.MaxValue));
            case SseOp.Pshufd:
                {
                    var r = new XmmRegister();
                    for (int k = 0; k < 4; k++) { r.As<uint>()[k] = b.As<uint>()[(imm >> (2 * k)) & 3]; }
                    return r;
                }
            case SseOp.Pshuflw:
            case SseOp.Pshufhw:
                {
                    XmmRegister r = b;
                    int half = op == SseOp.Pshufhw ? 4 : 0;
                    for (int k = 0; k < 4; k++) { r.As<ushort>()[half + k] = b.As<ushort>()[half + ((imm >> (2 * k)) & 3)]; }
                    return r;
                }
            case SseOp.Shufps:
                {
                    var r = new XmmRegister();
                    Span<uint> o = r.As<uint>();
                    o[0] = a.As<uint>()[imm & 3];
                    o[1] = a.As<uint>()[(imm >> 2) & 3];
                    o[2] = b.As<uint>()[(imm >> 4) & 3];
                    o[3] = b.As<uint>()[(imm >> 6) & 3];
                    return r;
                }
            case SseOp.Shufpd:
                return new XmmRegister((imm & 1) == 0 ? a.Lo : a.Hi, (imm & 2) == 0 ? b.Lo : b.Hi);
        }
        throw new GuestFault(Vectors.UD);
    }

    private static XmmRegister Saturating(SseOp op, int e, XmmRegister a, XmmRegister b)
    {
        bool add = op is SseOp.Padds or SseOp.Paddus;
        bool signed = op is SseOp.Padds or SseOp.Psubs;
        var r = new XmmRegister();
        int n = 16 / e;
        for (int k = 0; k < n; k++)
        {
            long x, y;
            if (e == 1)
            {
                x = signed ? (sbyte)a.As<byte>()[k] : a.As<byte>()[k];
                y = signed ? (sbyte)b.As<byte>()[k] : b.As<byte>()[k];
            }
            else
            {
                x = signed ? (short)a.As<ushort>()[k] : a.As<ushort>()[k];
                y = signed ? (short)b.As<ushort>()[k] : b.As<ushort>()[k];
            }
            long v = add ? x + y : x - y;
            long lo = signed ? -(1L << (8 * e - 1)) : 0, hi = signed ? (1L << (8 * e - 1)) - 1 : (1L << (8 * e)) - 1;
            v = Math.Clamp(v, lo, hi);
            if (e == 1) { r.As<byte>()[k] = (byte)v; }
            else { r.As<ushort>()[k] = (ushort)v; }
        }
        return r;
    }

    /// <summary>PSLL/PSRL/PSRA: a count beyond the element width clears (or, for PSRA, sign-fills) every element.</summary>
    private static XmmRegister Shift(SseOp op, int e, XmmRegister a, ulong count)
    {
        int bits = 8 * e;
        if (count >= (ulong)bits)
        {
            if (op != SseOp.Psra) { return default; }
            count = (ulong)bits - 1;
        }
        int c = (int)count;
        return (op, e) switch
        {
            (SseOp.Psll, 2) => FromVector(Vector128.ShiftLeft(AsVector<ushort>(a), c)),
            (SseOp.Psll, 4) => FromVector(Vector128.ShiftLeft(AsVector<uint>(a), c)),
            (SseOp.Psll, _) => FromVector(Vector128.ShiftLeft(AsVector<ulong>(a), c)),
            (SseOp.Psrl, 2) => FromVector(Vector128.ShiftRightLogical(AsVector<ushort>(a), c)),
            (SseOp.Psrl, 4) => FromVector(Vector128.ShiftRightLogical(AsVector<uint>(a), c)),
            (SseOp.Psrl, _) => FromVector(Vector128.ShiftRightLogical(AsVector<ulong>(a), c)),
            (_, 2) => FromVector(Vector128.ShiftRightArithmetic(AsVector<short>(a), c)),
            _ => FromVector(Vector128.ShiftRightArithmetic(AsVector<int>(a), c)),
        };
    }

    /// <summary>PUNPCKL/H (and UNPCKL/HPS/PD): alternate elements of the low or high halves of a and b.</summary>
    private static XmmRegister Interleave(int e, bool high, XmmRegister a, XmmRegister b)
    {
        var r = new XmmRegister();
        Span<byte> x = a.As<byte>(), y = b.As<byte>(), o = r.As<byte>();
        int from = high ? 8 : 0;
        for (int k = 0; k < 8 / e; k++)
        {
            x.Slice(from + k * e, e).CopyTo(o.Slice(2 * k * e, e));
            y.Slice(from + k * e, e).CopyTo(o.Slice((2 * k + 1) * e, e));
        }
        return r;
    }

    private static XmmRegister Pack<TWide, TNarrow>(XmmRegister a, XmmRegister b, Func<TWide, TNarrow> saturate)
        where TWide : unmanaged where TNarrow : unmanaged
    {
        var r = new XmmRegister();
        Span<TWide> x = a.As<TWide>(), y = b.As<TWide>();
        Span<TNarrow> o = r.As<TNarrow>();
        for (int k = 0; k < x.Length; k++)
        {
            o[k] = saturate(x[k]);
            o[k + x.Length] = saturate(y[k]);
        }
        return r;
    }

    private static XmmRegister Elementwise<T>(XmmRegister a, XmmRegister b, Func<T, T, T> f) where T : unmanaged
    {
        Span<T> x = a.As<T>(), y = b.As<T>();
        for (int k = 0; k < x.Length; k++)
        {
            x[k] = f(x[k], y[k]);
        }
        return a;
    }

    private static Vector128<T> AsVector<T>(XmmRegister x) => Vector128.Create(x.Lo, x.Hi).As<ulong, T>();

    private static XmmRegister FromVector<T>(Vector128<T> v)
    {
        Vector128<ulong> u = v.AsUInt64();
        return new XmmRegister(u.GetElement(0), u.GetElement(1));
    }

    /// <summary>
    /// The source operand: the Rm register, or OpSize bytes of memory (16, 8, 4 or 2; shorter
    /// reads zero-extend). 16-byte operands must be 16-byte aligned (#GP(0)) except for the
    /// explicitly unaligned moves.
    /// </summary>
    private XmmRegister ReadXmmOperand(ref Insn i)
    {
        if (!i.IsMem)
        {
            return Xmm[i.Rm];
        }
        ulong lin = Linear(ref i);
        switch (i.OpSize)
        {
            case 16:
                CheckAlignment(ref i, lin);
                return Read128(lin);
            case 8: return new XmmRegister(ReadMem(lin, 8), 0);
            case 4: return new XmmRegister(ReadMem(lin, 4), 0);
            default: return new XmmRegister(ReadMem(lin, 2), 0);
        }
    }

    private void WriteXmmOperand(ref Insn i, XmmRegister value)
    {
        if (!i.IsMem)
        {
            Xmm[i.Rm] = value;
            return;
        }
        ulong lin = Linear(ref i);
        CheckAlignment(ref i, lin);
        Write128(lin, value);
    }

    private void CheckAlignment(ref Insn i, ulong lin)
    {
        if ((lin & 15) != 0 && (SseOp)i.Sub is not (SseOp.Load128Unaligned or SseOp.Store128Unaligned))
        {
            throw new GuestFault(Vectors.GP, 0);
        }
    }

    /// <summary>A 16-byte load, made of two 8-byte ones; 16-byte operands are exempt from #AC (SDM table 6-7).</summary>
    private XmmRegister Read128(ulong lin)
    {
        bool was = SuspendAccessAlignment();
        try
        {
            return new XmmRegister(ReadMem(lin, 8), ReadMem((lin + 8) & LinearMask, 8));
        }
        finally
        {
            alignmentCheckSuspended = was;
        }
    }

    /// <summary>A 16-byte store; when it spans two pages both are translated first, so a #PF writes nothing.</summary>
    private void Write128(ulong lin, XmmRegister value)
    {
        ulong last = (lin + 15) & LinearMask;
        if (PagingEnabled && (last >> 12) != (lin >> 12))
        {
            Translate(lin, AccessKind.Write);
            Translate(last, AccessKind.Write);
        }
        bool was = SuspendAccessAlignment();
        try
        {
            WriteMem(lin, 8, value.Lo);
            WriteMem((lin + 8) & LinearMask, 8, value.Hi);
        }
        finally
        {
            alignmentCheckSuspended = was;
        }
    }
}
