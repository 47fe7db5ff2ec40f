namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The SSE and SSE2 part of the two-byte map (legacy encodings, no VEX). The mandatory prefix
/// (none, 66, F3, F2; F2/F3 win over 66, the last of F2/F3 wins) picks the instruction; 0F xx
/// forms without a prefix that act on MMX registers, and SSE3 and later, decode as #UD.
/// </summary>
internal static partial class X86Decoder
{
    /// <summary>Decodes <paramref name="op"/> (the byte after 0F) if it is an SSE opcode; false if it is not one.</summary>
    private static bool DecodeSse(ref Reader r, ref Insn i, ref Ctx d, int op)
    {
        byte pfx = (i.Flags & InsnFlags.RepNe) != 0 ? SimdForm.ScalarDouble
            : (i.Flags & InsnFlags.Rep) != 0 ? SimdForm.ScalarSingle
            : d.OpOverride ? SimdForm.PackedDouble : SimdForm.PackedSingle;
        bool p66 = pfx == SimdForm.PackedDouble;
        // General-register operands of SSE instructions are 32 bits, or 64 with REX.W (never 16).
        byte gpr = (byte)((d.Rex & 8) != 0 ? 8 : 4);
        switch (op)
        {
            case 0x10: case 0x11:
                Xmm(ref r, ref i, ref d, pfx switch
                {
                    SimdForm.ScalarSingle or SimdForm.ScalarDouble => op == 0x10 ? SseOp.MovScalarLoad : SseOp.MovScalarStore,
                    _ => op == 0x10 ? SseOp.Load128Unaligned : SseOp.Store128Unaligned,
                }, pfx, ScalarSize(pfx));
                return true;
            case 0x12: case 0x13: case 0x16: case 0x17:
                {
                    if (pfx >= SimdForm.ScalarSingle) { return UdSse(ref r, ref i, ref d); }
                    bool high = op >= 0x16, store = (op & 1) != 0;
                    Xmm(ref r, ref i, ref d, SseOp.Invalid, pfx, 8);
                    if (!i.IsMem)
                    {
                        // MOVHLPS/MOVLHPS exist only without a prefix and only as loads.
                        i.Sub = (byte)(store || p66 ? SseOp.Invalid : high ? SseOp.Movlhps : SseOp.Movhlps);
                    }
                    else
                    {
                        i.Sub = (byte)(high ? (store ? SseOp.MovHighStore : SseOp.MovHighLoad) : (store ? SseOp.MovLowStore : SseOp.MovLowLoad));
                    }
                    return true;
                }
            case 0x14: case 0x15:
                if (pfx >= SimdForm.ScalarSingle) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, op == 0x14 ? SseOp.Punpckl : SseOp.Punpckh, (byte)(p66 ? 8 : 4), 16);
                return true;
            case 0x28: case 0x29:
                if (pfx >= SimdForm.ScalarSingle) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, op == 0x28 ? SseOp.Load128 : SseOp.Store128, pfx, 16);
                return true;
            case 0x2A:
                if (pfx < SimdForm.ScalarSingle) { return UdSse(ref r, ref i, ref d); } // CVTPI2PS/PD: MMX
                Xmm(ref r, ref i, ref d, pfx == SimdForm.ScalarSingle ? SseOp.Cvtsi2ss : SseOp.Cvtsi2sd, pfx, gpr);
                return true;
            case 0x2B:
                if (pfx >= SimdForm.ScalarSingle) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, SseOp.Store128, pfx, 16);
                if (!i.IsMem) { i.Sub = (byte)SseOp.Invalid; }
                return true;
            case 0x2C: case 0x2D:
                {
                    if (pfx < SimdForm.ScalarSingle) { return UdSse(ref r, ref i, ref d); } // CVT(T)PS2PI/PD2PI: MMX
                    bool single = pfx == SimdForm.ScalarSingle, truncate = op == 0x2C;
                    Xmm(ref r, ref i, ref d, single ? (truncate ? SseOp.Cvttss2si : SseOp.Cvtss2si) : (truncate ? SseOp.Cvttsd2si : SseOp.Cvtsd2si), gpr, (byte)(single ? 4 : 8));
                    return true;
                }
            case 0x2E: case 0x2F:
                if (pfx >= SimdForm.ScalarSingle) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, op == 0x2E ? SseOp.Ucomis : SseOp.Comis, pfx, (byte)(p66 ? 8 : 4));
                return true;
            case 0x50:
                if (pfx >= SimdForm.ScalarSingle) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, p66 ? SseOp.Movmskpd : SseOp.Movmskps, pfx, 4);
                if (i.IsMem) { i.Sub = (byte)SseOp.Invalid; }
                return true;
            case 0x51: Xmm(ref r, ref i, ref d, SseOp.FSqrt, pfx, FloatSize(pfx)); return true;
            case 0x52: case 0x53: return UdSse(ref r, ref i, ref d); // RSQRT/RCP: approximations, not implemented
            case 0x54: case 0x55: case 0x56: case 0x57:
                if (pfx >= SimdForm.ScalarSingle) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, op switch { 0x54 => SseOp.And, 0x55 => SseOp.AndNot, 0x56 => SseOp.Or, _ => SseOp.Xor }, pfx, 16);
                return true;
            case 0x58: case 0x59: case 0x5C: case 0x5D: case 0x5E: case 0x5F:
                Xmm(ref r, ref i, ref d, op switch
                {
                    0x58 => SseOp.FAdd, 0x59 => SseOp.FMul, 0x5C => SseOp.FSub, 0x5D => SseOp.FMin, 0x5E => SseOp.FDiv, _ => SseOp.FMax,
                }, pfx, FloatSize(pfx));
                return true;
            case 0x5A:
                Xmm(ref r, ref i, ref d, pfx switch
                {
                    SimdForm.PackedSingle => SseOp.Cvtps2pd,
                    SimdForm.PackedDouble => SseOp.Cvtpd2ps,
                    SimdForm.ScalarSingle => SseOp.Cvtss2sd,
                    _ => SseOp.Cvtsd2ss,
                }, pfx, pfx switch { SimdForm.PackedDouble => 16, SimdForm.ScalarSingle => 4, _ => 8 });
                return true;
            case 0x5B:
                if (pfx == SimdForm.ScalarDouble) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, pfx switch { SimdForm.PackedSingle => SseOp.Cvtdq2ps, SimdForm.PackedDouble => SseOp.Cvtps2dq, _ => SseOp.Cvttps2dq }, pfx, 16);
                return true;
            case >= 0x60 and <= 0x6D:
                if (!p66) { return UdSse(ref r, ref i, ref d); }
                {
                    (SseOp o, int e) = op switch
                    {
                        0x60 => (SseOp.Punpckl, 1), 0x61 => (SseOp.Punpckl, 2), 0x62 => (SseOp.Punpckl, 4), 0x63 => (SseOp.Packsswb, 2),
                        0x64 => (SseOp.Pcmpgt, 1), 0x65 => (SseOp.Pcmpgt, 2), 0x66 => (SseOp.Pcmpgt, 4), 0x67 => (SseOp.Packuswb, 2),
                        0x68 => (SseOp.Punpckh, 1), 0x69 => (SseOp.Punpckh, 2), 0x6A => (SseOp.Punpckh, 4), 0x6B => (SseOp.Packssdw, 4),
                        0x6C => (SseOp.Punpckl, 8), _ => (SseOp.Punpckh, (byte)8),
                    };
                    Xmm(ref r, ref i, ref d, o, (byte)e, 16);
                    return true;
                }
            case 0x6E:
                if (!p66) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, SseOp.MovGprToXmm, pfx, gpr);
                return true;
            case 0x6F: case 0x7F:
                if (pfx == SimdForm.PackedSingle || pfx == SimdForm.ScalarDouble) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, (op == 0x6F, p66) switch
                {
                    (true, true) => SseOp.Load128, (true, false) => SseOp.Load128Unaligned,
                    (false, true) => SseOp.Store128, _ => SseOp.Store128Unaligned,
                }, pfx, 16);
                return true;
            case 0x70:
                if (pfx == SimdForm.PackedSingle) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, pfx switch { SimdForm.PackedDouble => SseOp.Pshufd, SimdForm.ScalarSingle => SseOp.Pshufhw, _ => SseOp.Pshuflw }, pfx, 16);
                i.Imm = r.U8();
                return true;
            case 0x71: case 0x72: case 0x73:
                {
                    if (!p66) { return UdSse(ref r, ref i, ref d); }
                    Xmm(ref r, ref i, ref d, SseOp.Invalid, (byte)(op == 0x71 ? 2 : op == 0x72 ? 4 : 8), 16);
                    i.Imm = r.U8();
                    int sub = (d.ModRm >> 3) & 7;
                    SseOp o = (op, sub) switch
                    {
                        (_, 2) => SseOp.PsrlImm,
                        (0x71 or 0x72, 4) => SseOp.PsraImm,
                        (_, 6) => SseOp.PsllImm,
                        (0x73, 3) => SseOp.PsrldqImm,
                        (0x73, 7) => SseOp.PslldqImm,
                        _ => SseOp.Invalid,
                    };
                    i.Sub = (byte)(i.IsMem ? SseOp.Invalid : o);
                    // ModRM.reg is the sub-operation; the shifted register is ModRM.rm.
                    i.Reg = i.Rm;
                    return true;
                }
            case 0x74: case 0x75: case 0x76:
                if (!p66) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, SseOp.Pcmpeq, (byte)(1 << (op - 0x74)), 16);
                return true;
            case 0x7E:
                if (p66) { Xmm(ref r, ref i, ref d, SseOp.MovXmmToGpr, pfx, gpr); return true; }
                if (pfx == SimdForm.ScalarSingle) { Xmm(ref r, ref i, ref d, SseOp.MovqLoad, pfx, 8); return true; }
                return UdSse(ref r, ref i, ref d);
            case 0xAE:
                {
                    ModRm(ref r, ref i, ref d, false);
                    int sub = (d.ModRm >> 3) & 7;
                    i.Op = Op.Sse;
                    if (!i.IsMem)
                    {
                        // LFENCE, MFENCE, SFENCE: no-ops for one in-order vCPU. F3 forms (RDFSBASE..) are not reported.
                        i.Op = sub >= 5 && pfx == SimdForm.PackedSingle ? Op.Nop : Op.Ud;
                        return true;
                    }
                    if (pfx != SimdForm.PackedSingle) { i.Op = Op.Ud; return true; }
                    (SseOp o, int size) = sub switch
                    {
                        0 => (SseOp.Fxsave, 0), 1 => (SseOp.Fxrstor, 0), 2 => (SseOp.Ldmxcsr, 4), 3 => (SseOp.Stmxcsr, 4),
                        7 => (SseOp.Clflush, 1), _ => (SseOp.Invalid, (byte)0),
                    };
                    i.Sub = (byte)o;
                    i.OpSize = (byte)(size == 0 ? 16 : size);
                    // FXSAVE64/FXRSTOR64 (REX.W) differ in the x87 pointer format only.
                    i.Simd = (byte)((d.Rex & 8) != 0 ? 8 : 4);
                    return true;
                }
            case 0xC2:
                Xmm(ref r, ref i, ref d, SseOp.FCmp, pfx, FloatSize(pfx));
                i.Imm = r.U8();
                return true;
            case 0xC3:
                if (pfx != SimdForm.PackedSingle) { return UdSse(ref r, ref i, ref d); }
                ModRm(ref r, ref i, ref d, false);
                i.Op = i.IsMem ? Op.Sse : Op.Ud;
                i.Sub = (byte)SseOp.Movnti;
                i.OpSize = gpr;
                return true;
            case 0xC4: case 0xC5:
                if (!p66) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, op == 0xC4 ? SseOp.Pinsrw : SseOp.Pextrw, pfx, 2);
                if (op == 0xC5 && i.IsMem) { i.Sub = (byte)SseOp.Invalid; }
                i.Imm = r.U8();
                return true;
            case 0xC6:
                if (pfx >= SimdForm.ScalarSingle) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, p66 ? SseOp.Shufpd : SseOp.Shufps, pfx, 16);
                i.Imm = r.U8();
                return true;
            case 0xD6:
                if (!p66) { return UdSse(ref r, ref i, ref d); } // F3/F2 forms: MOVQ2DQ/MOVDQ2Q (MMX)
                Xmm(ref r, ref i, ref d, SseOp.MovqStore, pfx, 8);
                return true;
            case 0xD7:
                if (!p66) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, SseOp.Pmovmskb, pfx, 16);
                if (i.IsMem) { i.Sub = (byte)SseOp.Invalid; }
                return true;
            case 0xE6:
                if (pfx == SimdForm.PackedSingle) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, pfx switch { SimdForm.PackedDouble => SseOp.Cvttpd2dq, SimdForm.ScalarSingle => SseOp.Cvtdq2pd, _ => SseOp.Cvtpd2dq }, pfx,
                    (byte)(pfx == SimdForm.ScalarSingle ? 8 : 16));
                return true;
            case 0xE7:
                if (!p66) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, SseOp.Store128, pfx, 16);
                if (!i.IsMem) { i.Sub = (byte)SseOp.Invalid; }
                return true;
            case 0xF7:
                if (!p66) { return UdSse(ref r, ref i, ref d); }
                Xmm(ref r, ref i, ref d, SseOp.Maskmovdqu, pfx, 16);
                if (i.IsMem) { i.Sub = (byte)SseOp.Invalid; }
                return true;
            case >= 0xD0 and <= 0xFF:
                {
                    if (!p66) { return UdSse(ref r, ref i, ref d); }
                    (SseOp o, int e) = op switch
                    {
                        0xD1 => (SseOp.Psrl, 2), 0xD2 => (SseOp.Psrl, 4), 0xD3 => (SseOp.Psrl, 8), 0xD4 => (SseOp.Padd, 8),
                        0xD5 => (SseOp.Pmullw, 2), 0xD8 => (SseOp.Psubus, 1), 0xD9 => (SseOp.Psubus, 2), 0xDA => (SseOp.Pminub, 1),
                        0xDB => (SseOp.And, 16), 0xDC => (SseOp.Paddus, 1), 0xDD => (SseOp.Paddus, 2), 0xDE => (SseOp.Pmaxub, 1),
                        0xDF => (SseOp.AndNot, 16),
                        0xE0 => (SseOp.Pavgb, 1), 0xE1 => (SseOp.Psra, 2), 0xE2 => (SseOp.Psra, 4), 0xE3 => (SseOp.Pavgw, 2),
                        0xE4 => (SseOp.Pmulhuw, 2), 0xE5 => (SseOp.Pmulhw, 2), 0xE8 => (SseOp.Psubs, 1), 0xE9 => (SseOp.Psubs, 2),
                        0xEA => (SseOp.Pminsw, 2), 0xEB => (SseOp.Or, 16), 0xEC => (SseOp.Padds, 1), 0xED => (SseOp.Padds, 2),
                        0xEE => (SseOp.Pmaxsw, 2), 0xEF => (SseOp.Xor, 16),
                        0xF1 => (SseOp.Psll, 2), 0xF2 => (SseOp.Psll, 4), 0xF3 => (SseOp.Psll, 8), 0xF4 => (SseOp.Pmuludq, 4),
                        0xF5 => (SseOp.Pmaddwd, 2), 0xF6 => (SseOp.Psadbw, 1), 0xF8 => (SseOp.Psub, 1), 0xF9 => (SseOp.Psub, 2),
                        0xFA => (SseOp.Psub, 4), 0xFB => (SseOp.Psub, 8), 0xFC => (SseOp.Padd, 1), 0xFD => (SseOp.Padd, 2),
                        0xFE => (SseOp.Padd, 4),
                        _ => (SseOp.Invalid, (byte)0),
                    };
                    if (o == SseOp.Invalid) { return UdSse(ref r, ref i, ref d); }
                    Xmm(ref r, ref i, ref d, o, (byte)e, 16);
                    return true;
                }
        }
        return false;
    }

    /// <summary>Reads ModRM for an XMM instruction: Reg and Rm are XMM (or general) register numbers 0..15.</summary>
    private static void Xmm(ref Reader r, ref Insn i, ref Ctx d, SseOp op, byte simd, byte memSize)
    {
        ModRm(ref r, ref i, ref d, false);
        i.Op = Op.Sse;
        i.Sub = (byte)op;
        i.Simd = simd;
        i.OpSize = memSize;
    }

    /// <summary>An opcode of the SSE map this CPU does not implement (MMX forms, SSE3+): consume ModRM, raise #UD.</summary>
    private static bool UdSse(ref Reader r, ref Insn i, ref Ctx d)
    {
        ModRm(ref r, ref i, ref d, false);
        Invalid(ref i);
        return true;
    }

    private static byte ScalarSize(byte pfx) => pfx switch { SimdForm.ScalarSingle => 4, SimdForm.ScalarDouble => 8, _ => 16 };

    private static byte FloatSize(byte pfx) => ScalarSize(pfx);
}
