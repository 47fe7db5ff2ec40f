namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The x87 instructions (escape opcodes D8..DF, Intel SDM vol. 1 ch. 8 and vol. 2): decoded as
/// <see cref="Op.Fpu"/> with Sub = opcode &amp; 7 and the raw ModRM byte in Imm, executed here on
/// the cold path over <see cref="X87Fpu"/> with <see cref="Float80Arithmetic"/>. Unmasked
/// invalid, denormal and divide-by-zero exceptions leave the destination alone and set
/// FSW.ES/B; the next waiting instruction reports them (#MF or FERR#, X86Cpu.MathFault.cs).
/// </summary>
public sealed partial class X86Cpu
{
    internal readonly X87Fpu X87 = new();

    private const int IE = X87Rounding.IE, DE = X87Rounding.DE, ZE = X87Rounding.ZE;

    // The 66-bit constants of FLDL2T..FLDLN2 rounded to nearest, and which way their next bits go
    // (SDM vol. 1, 8.3.8): +1 ulp toward +inf for log2(10), −1 ulp toward zero for the others.
    private static readonly Float80 Log2Ten = new(0x4000, 0xD49A784BCD1B8AFE), Log2E = new(0x3FFF, 0xB8AA3B295C17F0BC),
        Pi = new(0x4000, 0xC90FDAA22168C235), Log10Two = new(0x3FFD, 0x9A209A84FBCFF799), LnTwo = new(0x3FFE, 0xB17217F7D1CF79AC);

    /// <summary>FNINIT-equivalent state at power-on; called from <see cref="Reset"/>.</summary>
    private void ResetX87() => X87.PowerOn();

    /// <summary>One escape instruction. #NM when CR0.EM or CR0.TS is set (SDM vol. 3, 2.5, table 2-2).</summary>
    private void ExecuteX87(ref Insn i)
    {
        if ((Cr0 & 0xC) != 0)
        {
            throw new GuestFault(Vectors.NM);
        }
        if (!IsNoWaitX87(ref i))
        {
            CheckPendingX87Exception();
        }
        int modrm = (int)i.Imm;
        if (i.IsMem)
        {
            X87Memory(ref i, (modrm >> 3) & 7, modrm);
        }
        else
        {
            X87Register(i.Sub, modrm);
        }
    }

    private X87Rounding X87Context(bool precisionControl) => X87Rounding.FromControlWord(X87.Control, precisionControl);

    /// <summary>Records FOP, FIP/FCS and (for memory operands) FDP/FDS, as every non-control instruction does.</summary>
    private void X87Pointers(ref Insn i, int modrm, ulong offset)
    {
        X87.Opcode = (ushort)((i.Sub << 8) | modrm);
        X87.InstructionPointer = Rip;
        X87.CodeSelector = Seg[X86Decoder.CS].Selector;
        if (i.IsMem)
        {
            X87.DataPointer = offset;
            X87.DataSelector = Seg[i.Seg].Selector;
        }
    }

    /// <summary>
    /// Merges an operation's flags into FSW, sets C1 to "rounded up", and says whether the
    /// destination may be written: not when IE, DE or ZE was raised unmasked.
    /// </summary>
    private bool X87Commit(in X87Rounding r)
    {
        X87.Status = (ushort)((X87.Status | (r.Flags & 0x3F)) & ~X87Fpu.C1);
        if (r.RoundedUp) { X87.Status |= X87Fpu.C1; }
        X87.UpdateErrorSummary();
        return (r.Flags & ~X87.Control & (IE | DE | ZE)) == 0;
    }

    /// <summary>Stack overflow (C1 = 1) or underflow (C1 = 0): IE + SF. True when IE is masked, so the masked response runs.</summary>
    private bool X87StackFault(bool overflow)
    {
        X87.Status = (ushort)((X87.Status | IE | X87Fpu.StackFault) & ~X87Fpu.C1);
        if (overflow) { X87.Status |= X87Fpu.C1; }
        X87.UpdateErrorSummary();
        return (X87.Control & IE) != 0;
    }

    private void X87SetConditions(ushort bits) =>
        X87.Status = (ushort)((X87.Status & ~X87Fpu.ConditionCodes) | bits);

    private void X87Pop()
    {
        X87.Free(0);
        X87.Top++;
    }

    /// <summary>Pushes <paramref name="value"/> (produced with <paramref name="r"/>) unless the stack is full or an unmasked exception stops it.</summary>
    private void X87Push(Float80 value, in X87Rounding r)
    {
        if (!X87.IsEmpty(7))
        {
            if (X87StackFault(true))
            {
                X87.Top--;
                X87.Set(0, Float80.Indefinite);
            }
            return;
        }
        if (X87Commit(r))
        {
            X87.Top--;
            X87.Set(0, value);
        }
    }

    private ulong X87Offset(ref Insn i) => EffectiveAddress(ref i);

    private ulong X87Linear(ref Insn i, ulong offset) => (SegBase[i.Seg] + offset) & LinearMask;

    private void X87Memory(ref Insn i, int reg, int modrm)
    {
        ulong offset = X87Offset(ref i);
        ulong lin = X87Linear(ref i, offset);
        int esc = i.Sub;
        bool control = (esc == 1 && reg >= 4) || (esc == 5 && reg is 4 or 6 or 7);
        if (!control)
        {
            X87Pointers(ref i, modrm, offset);
        }
        switch (esc)
        {
            case 0: X87ArithMemory(reg, lin, 4, isInteger: false); return;
            case 2: X87ArithMemory(reg, lin, 4, isInteger: true); return;
            case 4: X87ArithMemory(reg, lin, 8, isInteger: false); return;
            case 6: X87ArithMemory(reg, lin, 2, isInteger: true); return;
            case 1:
                switch (reg)
                {
                    case 0:
                        {
                            var r = X87Context(false);
                            var v = Float80Conversions.FromSingle((uint)ReadMem(lin, 4), ref r);
                            X87Push(v, r);
                            return;
                        }
                    case 2: X87StoreFloat(lin, 4, pop: false); return;
                    case 3: X87StoreFloat(lin, 4, pop: true); return;
                    case 4: X87LoadEnvironment(lin, i.OpSize != 2); return;
                    case 5:
                        X87.Control = (ushort)(ReadMem(lin, 2) | 0x40);
                        X87.UpdateErrorSummary();
                        return;
                    case 6:
                        X87StoreEnvironment(lin, i.OpSize != 2);
                        X87.Control |= 0x3F;
                        X87.UpdateErrorSummary();
                        return;
                    case 7: WriteMem(lin, 2, X87.Control); return;
                }
                break;
            case 3:
                switch (reg)
                {
                    case 0: X87Push(Float80Conversions.FromInteger((int)ReadMem(lin, 4)), default); return;
                    case 1: X87StoreInteger(lin, 4, truncate: true, pop: true); return;
                    case 2: X87StoreInteger(lin, 4, truncate: false, pop: false); return;
                    case 3: X87StoreInteger(lin, 4, truncate: false, pop: true); return;
                    case 5: X87Push(new Float80((ushort)ReadMem(lin + 8, 2), ReadMem(lin, 8)), default); return;
                    case 7: X87StoreFloat(lin, 10, pop: true); return;
                }
                break;
            case 5:
                switch (reg)
                {
                    case 0:
                        {
                            var r = X87Context(false);
                            var v = Float80Conversions.FromDouble(ReadMem(lin, 8), ref r);
                            X87Push(v, r);
                            return;
                        }
                    case 1: X87StoreInteger(lin, 8, truncate: true, pop: true); return;
                    case 2: X87StoreFloat(lin, 8, pop: false); return;
                    case 3: X87StoreFloat(lin, 8, pop: true); return;
                    case 4:
                        {
                            int at = X87LoadEnvironment(lin, i.OpSize != 2);
                            // The area's alignment was checked field by field; its registers sit at 14 or 28 + 10k.
                            bool was = SuspendAccessAlignment();
                            try
                            {
                                for (int k = 0; k < 8; k++)
                                {
                                    ulong a = lin + (ulong)(at + 10 * k);
                                    X87.Registers[X87.Physical(k)] = new Float80((ushort)ReadMem(a + 8, 2), ReadMem(a, 8));
                                }
                            }
                            finally
                            {
                                alignmentCheckSuspended = was;
                            }
                            return;
                        }
                    case 6:
                        {
                            int at = X87StoreEnvironment(lin, i.OpSize != 2);
                            bool was = SuspendAccessAlignment();
                            try
                            {
                                for (int k = 0; k < 8; k++)
                                {
                                    ulong a = lin + (ulong)(at + 10 * k);
                                    var v = X87.Get(k);
                                    WriteMem(a, 8, v.Significand);
                                    WriteMem(a + 8, 2, v.SignExp);
                                }
                            }
                            finally
                            {
                                alignmentCheckSuspended = was;
                            }
                            X87.Init();
                            return;
                        }
                    case 7: WriteMem(lin, 2, X87.Status); return;
                }
                break;
            case 7:
                switch (reg)
                {
                    case 0: X87Push(Float80Conversions.FromInteger((short)ReadMem(lin, 2)), default); return;
                    case 1: X87StoreInteger(lin, 2, truncate: true, pop: true); return;
                    case 2: X87StoreInteger(lin, 2, truncate: false, pop: false); return;
                    case 3: X87StoreInteger(lin, 2, truncate: false, pop: true); return;
                    case 4:
                        {
                            Span<byte> bcd = stackalloc byte[10];
                            BitConverter.TryWriteBytes(bcd, ReadMem(lin, 8));
                            BitConverter.TryWriteBytes(bcd[8..], (ushort)ReadMem(lin + 8, 2));
                            X87Push(Float80Conversions.FromBcd(bcd), default);
                            return;
                        }
                    case 5: X87Push(Float80Conversions.FromInteger((long)ReadMem(lin, 8)), default); return;
                    case 6: X87StoreBcd(lin); return;
                    case 7: X87StoreInteger(lin, 8, truncate: false, pop: true); return;
                }
                break;
        }
        throw new GuestFault(Vectors.UD);
    }

    /// <summary>FADD..FDIVR and FCOM/FCOMP (and their FI integer forms) with a memory source.</summary>
    private void X87ArithMemory(int kind, ulong lin, int size, bool isInteger)
    {
        var r = X87Context(kind is not 2 and not 3);
        var load = r;
        Float80 src = isInteger
            ? Float80Conversions.FromInteger(size == 2 ? (short)ReadMem(lin, 2) : (int)ReadMem(lin, 4))
            : size == 4 ? Float80Conversions.FromSingle((uint)ReadMem(lin, 4), ref load, keepSignaling: true)
            : Float80Conversions.FromDouble(ReadMem(lin, 8), ref load, keepSignaling: true);
        // A denormal memory operand counts (DE) only when the operation really uses it: measured,
        // an empty, NaN or unsupported ST0 takes precedence, and so does a division by zero.
        var st0 = X87.Get(0);
        if (!X87.IsEmpty(0) && !st0.IsNaN && !st0.IsUnsupported && !(kind == 7 && st0.IsZero)) { r.Flags |= load.Flags; }
        if (kind is 2 or 3)
        {
            X87Compare(src, isEmpty: false, ref r, quietNaNInvalid: true, pops: kind == 3 ? 1 : 0);
            return;
        }
        X87Arith(kind, 0, src, srcEmpty: false, ref r, pop: false);
    }

    /// <summary>ST(dst) = ST(dst) op src (kind as the ModRM reg field: 0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr).</summary>
    private void X87Arith(int kind, int dst, Float80 src, bool srcEmpty, ref X87Rounding r, bool pop)
    {
        if (srcEmpty || X87.IsEmpty(dst))
        {
            if (X87StackFault(false))
            {
                X87.Set(dst, Float80.Indefinite);
                if (pop) { X87Pop(); }
            }
            return;
        }
        Float80 a = X87.Get(dst);
        Float80 result = kind switch
        {
            0 => Float80Arithmetic.Add(a, src, ref r),
            1 => Float80Arithmetic.Mul(a, src, ref r),
            4 => Float80Arithmetic.Sub(a, src, ref r),
            5 => Float80Arithmetic.Sub(src, a, ref r),
            6 => Float80Arithmetic.Div(a, src, ref r),
            _ => Float80Arithmetic.Div(src, a, ref r),
        };
        if (X87Commit(r))
        {
            X87.Set(dst, result);
            if (pop) { X87Pop(); }
        }
    }

    /// <summary>FCOM family: ST0 against <paramref name="src"/> into C3/C2/C0, then <paramref name="pops"/> pops.</summary>
    private void X87Compare(Float80 src, bool isEmpty, ref X87Rounding r, bool quietNaNInvalid, int pops)
    {
        if (isEmpty || X87.IsEmpty(0))
        {
            if (X87StackFault(false))
            {
                X87SetConditions(X87Fpu.C3 | X87Fpu.C2 | X87Fpu.C0);
                for (int k = 0; k < pops; k++) { X87Pop(); }
            }
            return;
        }
        int order = Float80Arithmetic.Compare(X87.Get(0), src, quietNaNInvalid, ref r);
        if (!X87Commit(r)) { return; }
        X87SetConditions(order switch
        {
            1 => 0,
            -1 => X87Fpu.C0,
            0 => X87Fpu.C3,
            _ => X87Fpu.C3 | X87Fpu.C2 | X87Fpu.C0,
        });
        for (int k = 0; k < pops; k++) { X87Pop(); }
    }

    /// <summary>FCOMI/FUCOMI(P): the ordering goes to ZF, PF, CF; OF, SF, AF are cleared.</summary>
    private void X87CompareToFlags(int st, bool quietNaNInvalid, bool pop)
    {
        if (X87.IsEmpty(0) || X87.IsEmpty(st))
        {
            if (X87StackFault(false))
            {
                SetArith(ArithFlags, ZF | PF | CF);
                if (pop) { X87Pop(); }
            }
            return;
        }
        var r = X87Context(false);
        int order = Float80Arithmetic.Compare(X87.Get(0), X87.Get(st), quietNaNInvalid, ref r);
        // Measured on the host: FCOMI leaves C1 as it was (the SDM says "set to 0").
        bool c1 = (X87.Status & X87Fpu.C1) != 0;
        bool write = X87Commit(r);
        if (c1) { X87.Status |= X87Fpu.C1; }
        if (!write) { return; }
        SetArith(ArithFlags, order switch { 1 => 0, -1 => CF, 0 => ZF, _ => ZF | PF | CF });
        if (pop) { X87Pop(); }
    }

    private void X87StoreFloat(ulong lin, int size, bool pop)
    {
        var r = X87Context(false);
        if (X87.IsEmpty(0))
        {
            if (!X87StackFault(false)) { return; }
            X87WriteFloat(lin, size, Float80.Indefinite, ref r);
        }
        else
        {
            ulong bits = 0;
            var v = X87.Get(0);
            if (size == 4) { bits = Float80Conversions.ToSingle(v, ref r); }
            else if (size == 8) { bits = Float80Conversions.ToDouble(v, ref r); }
            if (!X87Commit(r)) { return; }
            if (size == 10) { X87WriteFloat(lin, size, v, ref r); }
            else { WriteMem(lin, size, bits); }
        }
        if (pop) { X87Pop(); }
    }

    private void X87WriteFloat(ulong lin, int size, Float80 v, ref X87Rounding r)
    {
        switch (size)
        {
            case 4: WriteMem(lin, 4, Float80Conversions.ToSingle(v, ref r)); break;
            case 8: WriteMem(lin, 8, Float80Conversions.ToDouble(v, ref r)); break;
            default:
                WriteMem(lin, 8, v.Significand);
                WriteMem(lin + 8, 2, v.SignExp);
                break;
        }
    }

    private void X87StoreInteger(ulong lin, int size, bool truncate, bool pop)
    {
        var r = X87Context(false);
        ulong bits;
        if (X87.IsEmpty(0))
        {
            if (!X87StackFault(false)) { return; }
            bits = 1UL << (size * 8 - 1);
        }
        else
        {
            bits = Float80Conversions.ToInteger(X87.Get(0), size, truncate, ref r);
            if (!X87Commit(r)) { return; }
        }
        WriteMem(lin, size, bits);
        if (pop) { X87Pop(); }
    }

    private void X87StoreBcd(ulong lin)
    {
        var r = X87Context(false);
        Span<byte> bcd = stackalloc byte[10];
        if (X87.IsEmpty(0))
        {
            if (!X87StackFault(false)) { return; }
            Float80Conversions.ToBcd(Float80.Indefinite, bcd, ref r);
        }
        else
        {
            Float80Conversions.ToBcd(X87.Get(0), bcd, ref r);
            if (!X87Commit(r)) { return; }
        }
        WriteMem(lin, 8, BitConverter.ToUInt64(bcd));
        WriteMem(lin + 8, 2, BitConverter.ToUInt16(bcd[8..]));
        X87Pop();
    }

    /// <summary>
    /// FNSTENV's image (SDM vol. 1, figures 8-9 to 8-12): 28 bytes with a 32-bit operand size,
    /// 14 with a 16-bit one; real and virtual-8086 mode store linear pointers split across two
    /// fields. Reserved halves are written as ones, as the host CPU does (the oracle compares them). Returns its length.
    /// </summary>
    private int X87StoreEnvironment(ulong lin, bool wide)
    {
        var f = X87;
        bool real = !ProtectedMode || Virtual8086;
        ulong ip = real ? ((ulong)f.CodeSelector << 4) + (f.InstructionPointer & 0xFFFF) : f.InstructionPointer;
        ulong dp = real ? ((ulong)f.DataSelector << 4) + (f.DataPointer & 0xFFFF) : f.DataPointer;
        int w = wide ? 4 : 2;
        ulong pad = wide ? 0xFFFF0000UL : 0;
        ulong[] fields = real
            ? new[] { pad | f.Control, pad | f.Status, pad | f.TagWord, pad | (ip & 0xFFFF), ((ip >> 16) << 12) | f.Opcode, pad | (dp & 0xFFFF), (dp >> 16) << 12 }
            : new[] { pad | f.Control, pad | f.Status, pad | f.TagWord, ip & (wide ? 0xFFFFFFFFUL : 0xFFFF), f.CodeSelector | (wide ? (ulong)f.Opcode << 16 : 0), dp & (wide ? 0xFFFFFFFFUL : 0xFFFF), pad | f.DataSelector };
        for (int k = 0; k < 7; k++)
        {
            WriteMem(lin + (ulong)(k * w), w, fields[k]);
        }
        return 7 * w;
    }

    private int X87LoadEnvironment(ulong lin, bool wide)
    {
        int w = wide ? 4 : 2;
        var v = new ulong[7];
        for (int k = 0; k < 7; k++)
        {
            v[k] = ReadMem(lin + (ulong)(k * w), w);
        }
        var f = X87;
        f.Control = (ushort)(v[0] | 0x40);
        f.Status = (ushort)v[1];
        f.TagWord = (ushort)v[2];
        if (!ProtectedMode || Virtual8086)
        {
            f.InstructionPointer = (v[3] & 0xFFFF) | ((v[4] >> 12) << 16);
            f.Opcode = (ushort)(v[4] & 0x7FF);
            f.DataPointer = (v[5] & 0xFFFF) | ((v[6] >> 12) << 16);
            f.CodeSelector = f.DataSelector = 0;
        }
        else
        {
            f.InstructionPointer = v[3];
            f.CodeSelector = (ushort)v[4];
            f.Opcode = (ushort)(wide ? (v[4] >> 16) & 0x7FF : 0);
            f.DataPointer = v[5];
            f.DataSelector = (ushort)v[6];
        }
        f.UpdateErrorSummary();
        return 7 * w;
    }

    private void X87Register(int esc, int modrm)
    {
        int reg = (modrm >> 3) & 7, st = modrm & 7;
        bool control = (esc == 3 && modrm is 0xE2 or 0xE3) || (esc == 7 && modrm == 0xE0);
        if (!control)
        {
            X87.Opcode = (ushort)((esc << 8) | modrm);
            X87.InstructionPointer = Rip;
            X87.CodeSelector = Seg[X86Decoder.CS].Selector;
        }
        switch (esc)
        {
            case 0:
                if (reg is 2 or 3)
                {
                    var r = X87Context(false);
                    X87Compare(X87.Get(st), X87.IsEmpty(st), ref r, quietNaNInvalid: true, pops: reg == 3 ? 1 : 0);
                }
                else
                {
                    var r = X87Context(true);
                    X87Arith(reg, 0, X87.Get(st), X87.IsEmpty(st), ref r, pop: false);
                }
                return;
            case 4:
            case 6:
                if (reg is 2 or 3)
                {
                    // DC D0/D8 and DE D0 are undocumented aliases of FCOM/FCOMP; DE D9 is FCOMPP.
                    if (esc == 6 && reg == 3 && st != 1) { break; }
                    var r = X87Context(false);
                    X87Compare(X87.Get(st), X87.IsEmpty(st), ref r, quietNaNInvalid: true, pops: esc == 6 ? reg - 1 : reg - 2);
                }
                else
                {
                    // With ST(i) as the destination the encodings of SUB/SUBR and DIV/DIVR swap (SDM vol. 2, FSUB note).
                    var r = X87Context(true);
                    X87Arith(reg >= 4 ? reg ^ 1 : reg, st, X87.Get(0), X87.IsEmpty(0), ref r, pop: esc == 6);
                }
                return;
            case 1: X87D9(modrm, reg, st); return;
            case 2:
                if (reg < 4) { X87Cmov(reg, negate: false, st); return; }
                if (modrm == 0xE9)
                {
                    var r = X87Context(false);
                    X87Compare(X87.Get(1), X87.IsEmpty(1), ref r, quietNaNInvalid: false, pops: 2);
                    return;
                }
                break;
            case 3:
                if (reg < 4) { X87Cmov(reg, negate: true, st); return; }
                switch (modrm)
                {
                    case 0xE0: case 0xE1: case 0xE4: return; // FENI, FDISI, FSETPM: no-ops since the 387.
                    case 0xE2:
                        X87.Status &= 0x7F00;
                        return;
                    case 0xE3: X87.Init(); return;
                }
                if (reg == 5) { X87CompareToFlags(st, quietNaNInvalid: false, pop: false); return; }
                if (reg == 6) { X87CompareToFlags(st, quietNaNInvalid: true, pop: false); return; }
                break;
            case 5:
                switch (reg)
                {
                    case 0: X87.Free(st); X87Commit(default); return; // FFREE clears C1 (measured)
                    case 1: X87Exchange(st); return;
                    case 2: X87StoreRegister(st, pop: false); return;
                    case 3: X87StoreRegister(st, pop: true); return;
                    case 4:
                    case 5:
                        {
                            var r = X87Context(false);
                            X87Compare(X87.Get(st), X87.IsEmpty(st), ref r, quietNaNInvalid: false, pops: reg - 4);
                            return;
                        }
                }
                break;
            case 7:
                switch (reg)
                {
                    case 0: X87.Free(st); X87.Top++; X87Commit(default); return; // FFREEP
                    case 1: X87Exchange(st); return;
                    case 2:
                    case 3: X87StoreRegister(st, pop: true); return;
                    case 4:
                        if (modrm == 0xE0) { SetReg(RAX, 2, X87.Status); return; }
                        break;
                    case 5: X87CompareToFlags(st, quietNaNInvalid: false, pop: true); return;
                    case 6: X87CompareToFlags(st, quietNaNInvalid: true, pop: true); return;
                }
                break;
        }
        throw new GuestFault(Vectors.UD);
    }

    /// <summary>FCMOVcc: B, E, BE, U and their negations, as the integer condition codes 2, 4, 6, 10 (+1).</summary>
    private void X87Cmov(int kind, bool negate, int st)
    {
        int cc = kind switch { 0 => 2, 1 => 4, 2 => 6, _ => 10 } + (negate ? 1 : 0);
        if (X87.IsEmpty(0) || X87.IsEmpty(st))
        {
            if (X87StackFault(false)) { X87.Set(0, Float80.Indefinite); }
            return;
        }
        // Measured: without a stack fault FCMOVcc leaves C1 as it was.
        if (Condition(cc)) { X87.Set(0, X87.Get(st)); }
    }

    private void X87Exchange(int st)
    {
        if (X87.IsEmpty(0) || X87.IsEmpty(st))
        {
            if (!X87StackFault(false)) { return; }
            if (X87.IsEmpty(0)) { X87.Set(0, Float80.Indefinite); }
            if (X87.IsEmpty(st)) { X87.Set(st, Float80.Indefinite); }
        }
        else
        {
            X87Commit(default);
        }
        var t = X87.Get(0);
        X87.Set(0, X87.Get(st));
        X87.Set(st, t);
    }

    private void X87StoreRegister(int st, bool pop)
    {
        if (X87.IsEmpty(0))
        {
            if (!X87StackFault(false)) { return; }
            X87.Set(st, Float80.Indefinite);
        }
        else
        {
            X87Commit(default);
            X87.Set(st, X87.Get(0));
        }
        if (pop) { X87Pop(); }
    }

    private void X87D9(int modrm, int reg, int st)
    {
        switch (reg)
        {
            case 0:
                {
                    // FLD ST(i): read before the push moves TOP.
                    if (X87.IsEmpty(st))
                    {
                        // Underflow wins over a full stack (measured: C1 = 0).
                        if (X87StackFault(false))
                        {
                            X87.Top--;
                            X87.Set(0, Float80.Indefinite);
                        }
                        return;
                    }
                    X87Push(X87.Get(st), default);
                    return;
                }
            case 1: X87Exchange(st); return;
            case 2:
                if (modrm == 0xD0) { return; } // FNOP: changes nothing, not even C1 (measured)
                break;
            case 3: X87StoreRegister(st, pop: true); return; // FSTP1, an undocumented alias
            case 4:
                switch (modrm)
                {
                    case 0xE0: X87Unary(v => v.Negate()); return;
                    case 0xE1: X87Unary(v => v.Abs()); return;
                    case 0xE4:
                        {
                            var r = X87Context(false);
                            X87Compare(Float80.PositiveZero, isEmpty: false, ref r, quietNaNInvalid: true, pops: 0);
                            return;
                        }
                    case 0xE5: X87Examine(); return;
                }
                break;
            case 5:
                {
                    bool downOrChop = (X87.Control & 0x400) != 0, up = ((X87.Control >> 10) & 3) == X87Rounding.Up;
                    Float80? constant = modrm switch
                    {
                        0xE8 => Float80.One,
                        0xE9 => Adjust(Log2Ten, up ? 1 : 0),
                        0xEA => Adjust(Log2E, downOrChop ? -1 : 0),
                        0xEB => Adjust(Pi, downOrChop ? -1 : 0),
                        0xEC => Adjust(Log10Two, downOrChop ? -1 : 0),
                        0xED => Adjust(LnTwo, downOrChop ? -1 : 0),
                        0xEE => Float80.PositiveZero,
                        _ => null,
                    };
                    if (constant is Float80 c) { X87Push(c, default); return; }
                    break;
                }
            case 6:
            case 7:
                X87D9Misc(modrm);
                return;
        }
        throw new GuestFault(Vectors.UD);

        static Float80 Adjust(Float80 c, int ulps) => new(c.SignExp, c.Significand + (ulong)(long)ulps);
    }

    /// <summary>FCHS and FABS: sign operations, exact, no exceptions beyond stack underflow.</summary>
    private void X87Unary(Func<Float80, Float80> op)
    {
        if (X87.IsEmpty(0))
        {
            if (X87StackFault(false)) { X87.Set(0, Float80.Indefinite); }
            return;
        }
        X87Commit(default);
        X87.Set(0, op(X87.Get(0)));
    }

    /// <summary>FXAM: the class of ST0 in C3, C2, C0 and its sign in C1 (SDM vol. 2, FXAM table).</summary>
    private void X87Examine()
    {
        var v = X87.Get(0);
        ushort c = X87.IsEmpty(0) ? (ushort)(X87Fpu.C3 | X87Fpu.C0)
            : v.IsUnsupported ? (ushort)0
            : v.IsNaN ? X87Fpu.C0
            : v.IsInfinity ? (ushort)(X87Fpu.C2 | X87Fpu.C0)
            : v.IsZero ? X87Fpu.C3
            : v.IsDenormal ? (ushort)(X87Fpu.C3 | X87Fpu.C2)
            : X87Fpu.C2;
        if (v.Sign) { c |= X87Fpu.C1; }
        X87SetConditions(c);
    }

    /// <summary>D9 F0..FF: transcendentals, FXTRACT, FPREM(1), FINCSTP/FDECSTP, FSQRT, FRNDINT, FSCALE.</summary>
    private void X87D9Misc(int modrm)
    {
        switch (modrm)
        {
            case 0xF6: X87.Top--; X87SetConditions((ushort)(X87.Status & (X87Fpu.C0 | X87Fpu.C2 | X87Fpu.C3))); return;
            case 0xF7: X87.Top++; X87SetConditions((ushort)(X87.Status & (X87Fpu.C0 | X87Fpu.C2 | X87Fpu.C3))); return;
            case 0xFA: X87Replace(0, (Float80 a, ref X87Rounding r) => Float80Arithmetic.Sqrt(a, ref r), true); return;
            case 0xFC: X87Replace(0, (Float80 a, ref X87Rounding r) => Float80Arithmetic.RoundToIntegral(a, ref r), false); return;
            case 0xFD: X87Binary01((Float80 a, Float80 b, ref X87Rounding r) => Float80Arithmetic.Scale(a, b, ref r)); return;
            case 0xF8:
            case 0xF5: X87Remainder(ieee: modrm == 0xF5); return;
            case 0xF4: X87Extract(); return;
        }
        X87Transcendental(modrm);
    }

    private delegate Float80 UnaryOp(Float80 a, ref X87Rounding r);
    private delegate Float80 BinaryOp(Float80 a, Float80 b, ref X87Rounding r);

    private void X87Replace(int st, UnaryOp op, bool precisionControl)
    {
        if (X87.IsEmpty(st))
        {
            if (X87StackFault(false)) { X87.Set(st, Float80.Indefinite); }
            return;
        }
        var r = X87Context(precisionControl);
        var result = op(X87.Get(st), ref r);
        if (X87Commit(r)) { X87.Set(st, result); }
    }

    /// <summary>ST0 = op(ST0, ST1), no pop (FSCALE).</summary>
    private void X87Binary01(BinaryOp op)
    {
        if (X87.IsEmpty(0) || X87.IsEmpty(1))
        {
            if (X87StackFault(false)) { X87.Set(0, Float80.Indefinite); }
            return;
        }
        var r = X87Context(false);
        var result = op(X87.Get(0), X87.Get(1), ref r);
        if (X87Commit(r)) { X87.Set(0, result); }
    }

    private void X87Remainder(bool ieee)
    {
        if (X87.IsEmpty(0) || X87.IsEmpty(1))
        {
            // Measured: the fault clears C2 and leaves C0/C3 alone.
            X87.Status &= unchecked((ushort)~X87Fpu.C2);
            if (X87StackFault(false)) { X87.Set(0, Float80.Indefinite); }
            return;
        }
        var r = X87Context(false);
        var (result, q, complete) = Float80Arithmetic.Remainder(X87.Get(0), X87.Get(1), ieee, ref r);
        if (!X87Commit(r)) { return; }
        X87.Set(0, result);
        bool computed = !(X87.Get(0).IsNaN || (r.Flags & IE) != 0);
        if (!computed)
        {
            X87.Status &= unchecked((ushort)~X87Fpu.C2);
            return;
        }
        ushort c = complete ? (ushort)0 : X87Fpu.C2;
        if (complete)
        {
            if ((q & 4) != 0) { c |= X87Fpu.C0; }
            if ((q & 2) != 0) { c |= X87Fpu.C3; }
            if ((q & 1) != 0) { c |= X87Fpu.C1; }
        }
        X87SetConditions(c);
    }

    /// <summary>FXTRACT: ST0 is replaced by its unbiased exponent, then its significand (exponent 0) is pushed on top.</summary>
    private void X87Extract()
    {
        if (X87.IsEmpty(0))
        {
            if (!X87StackFault(false)) { return; }
            X87.Set(0, Float80.Indefinite);
            X87Push(Float80.Indefinite, default);
            return;
        }
        if (!X87.IsEmpty(7))
        {
            // Measured: the masked overflow response replaces both results with the indefinite.
            if (X87StackFault(true))
            {
                X87.Set(0, Float80.Indefinite);
                X87.Top--;
                X87.Set(0, Float80.Indefinite);
            }
            return;
        }
        var v = X87.Get(0);
        var r = X87Context(false);
        Float80 exponent, significand;
        if (v.IsUnsupported)
        {
            r.Flags |= IE;
            exponent = significand = Float80.Indefinite;
        }
        else if (v.IsNaN)
        {
            exponent = significand = Float80Arithmetic.PropagateNaN(v, ref r);
        }
        else if (v.IsInfinity)
        {
            exponent = Float80.Infinity(false);
            significand = v;
        }
        else if (v.IsZero)
        {
            r.Flags |= ZE;
            exponent = Float80.Infinity(true);
            significand = v;
        }
        else
        {
            if (v.IsDenormal) { r.Flags |= DE; }
            var u = Float80Arithmetic.Unpack(v);
            exponent = Float80Conversions.FromInteger(u.Exp);
            significand = new Float80((ushort)((v.Sign ? 0x8000 : 0) | Float80.Bias), (ulong)(u.Sig >> 64));
        }
        if (!X87Commit(r)) { return; }
        X87.Set(0, exponent);
        X87.Top--;
        X87.Set(0, significand);
    }

    /// <summary>
    /// FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1 through the host's binary64 libm:
    /// special operands (NaN, empty, out of range) follow the SDM, finite results carry only
    /// binary64 precision and always report PE (a documented gap, docs/emulator.md).
    /// </summary>
    private void X87Transcendental(int modrm)
    {
        bool binary = modrm is 0xF1 or 0xF3 or 0xF9;
        if (X87.IsEmpty(0) || (binary && X87.IsEmpty(1)))
        {
            if (X87StackFault(false))
            {
                X87.Set(binary ? 1 : 0, Float80.Indefinite);
                if (binary) { X87Pop(); }
            }
            return;
        }
        var r = X87Context(false);
        var a = X87.Get(0);
        if (a.IsUnsupported || (binary && X87.Get(1).IsUnsupported))
        {
            r.Flags |= IE;
            if (X87Commit(r)) { X87.Set(binary ? 1 : 0, Float80.Indefinite); if (binary) { X87Pop(); } }
            return;
        }
        if (a.IsNaN || (binary && X87.Get(1).IsNaN))
        {
            var nan = binary ? Float80Arithmetic.PropagateNaN(a, X87.Get(1), ref r) : Float80Arithmetic.PropagateNaN(a, ref r);
            if (!X87Commit(r)) { return; }
            if (binary) { X87.Set(1, nan); X87Pop(); return; }
            X87.Set(0, nan);
            if (modrm is 0xF2 or 0xFB) { X87Push(nan, default); }
            return;
        }
        if (a.IsDenormal) { r.Flags |= DE; }
        double x = Float80Conversions.ToHostDouble(a);
        bool trig = modrm is 0xF2 or 0xFB or 0xFE or 0xFF;
        if (trig && (a.IsInfinity || Math.Abs(x) >= 9.223372036854775808e18))
        {
            if (a.IsInfinity)
            {
                r.Flags |= IE;
                if (X87Commit(r)) { X87.Set(0, Float80.Indefinite); }
                return;
            }
            // Out of range: C2 = 1 and ST0 unchanged, so the guest reduces the argument itself.
            X87SetConditions(X87Fpu.C2);
            return;
        }
        X87SetConditions(0);
        double y = binary ? Float80Conversions.ToHostDouble(X87.Get(1)) : 0;
        double result = modrm switch
        {
            0xF0 => Math.Pow(2, x) - 1,
            0xF1 => y * Math.Log2(x),
            0xF2 => Math.Tan(x),
            0xF3 => Math.Atan2(y, x),
            0xF9 => y * Math.Log2(1 + x),
            0xFB => Math.Cos(x),
            0xFE => Math.Sin(x),
            _ => Math.Cos(x),
        };
        if (double.IsNaN(result) && !double.IsNaN(x))
        {
            r.Flags |= IE;
        }
        else if (!a.IsZero || modrm is 0xF1 or 0xF3 or 0xFB or 0xFF)
        {
            r.Flags |= X87Rounding.PE;
        }
        if (modrm == 0xF1 && a.IsZero && !double.IsNaN(result)) { r.Flags = (r.Flags & ~X87Rounding.PE) | ZE; }
        if (!X87Commit(r)) { return; }
        var value = double.IsNaN(result) ? Float80.Indefinite : Float80Conversions.FromHostDouble(result);
        if (a.IsZero && modrm is 0xF0 or 0xF2 or 0xFE) { value = a; }
        switch (modrm)
        {
            case 0xF1:
            case 0xF3:
            case 0xF9:
                X87.Set(1, value);
                X87Pop();
                return;
            case 0xF2:
                X87.Set(0, value);
                X87Push(Float80.One, default);
                return;
            case 0xFB:
                X87.Set(0, Float80Conversions.FromHostDouble(Math.Sin(x)));
                X87Push(value, default);
                return;
            default:
                X87.Set(0, value);
                return;
        }
    }

    /// <summary>The x87 part of an FXSAVE image: bytes 0..23 and the eight 16-byte register slots at 32..159 (SDM vol. 1, table 10-2).</summary>
    partial void SaveX87Area(Span<byte> area)
    {
        var f = X87;
        BitConverter.TryWriteBytes(area, f.Control);
        BitConverter.TryWriteBytes(area[2..], f.Status);
        area[4] = (byte)~f.Empty;
        area[5] = 0;
        BitConverter.TryWriteBytes(area[6..], f.Opcode);
        BitConverter.TryWriteBytes(area[8..], (uint)f.InstructionPointer);
        BitConverter.TryWriteBytes(area[12..], f.CodeSelector);
        BitConverter.TryWriteBytes(area[14..], (ushort)0);
        BitConverter.TryWriteBytes(area[16..], (uint)f.DataPointer);
        BitConverter.TryWriteBytes(area[20..], f.DataSelector);
        BitConverter.TryWriteBytes(area[22..], (ushort)0);
        for (int k = 0; k < 8; k++)
        {
            var slot = area.Slice(32 + 16 * k, 16);
            slot.Clear();
            f.Get(k).Write(slot);
        }
    }

    partial void RestoreX87Area(ReadOnlySpan<byte> area)
    {
        var f = X87;
        f.Control = BitConverter.ToUInt16(area);
        f.Status = BitConverter.ToUInt16(area[2..]);
        f.Empty = (byte)~area[4];
        f.Opcode = (ushort)(BitConverter.ToUInt16(area[6..]) & 0x7FF);
        f.InstructionPointer = BitConverter.ToUInt32(area[8..]);
        f.CodeSelector = BitConverter.ToUInt16(area[12..]);
        f.DataPointer = BitConverter.ToUInt32(area[16..]);
        f.DataSelector = BitConverter.ToUInt16(area[20..]);
        for (int k = 0; k < 8; k++)
        {
            f.Registers[f.Physical(k)] = Float80.Read(area.Slice(32 + 16 * k, 10));
        }
        f.UpdateErrorSummary();
    }
}
