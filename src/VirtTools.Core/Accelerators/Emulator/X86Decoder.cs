namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// Decodes one x86 instruction from bytes into an <see cref="Insn"/>. The integer instruction set
/// of real, protected and long mode is covered; what the decoder does not know becomes
/// <see cref="Op.Ud"/>, which the executor raises as #UD.
/// </summary>
internal static partial class X86Decoder
{
    /// <summary>Segment register numbers, in the encoding order of the sreg field.</summary>
    public const byte ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;

    /// <summary>Returned when the bytes end before the instruction does.</summary>
    public const int NeedMoreBytes = -1;

    private ref struct Reader
    {
        public ReadOnlySpan<byte> Bytes;
        public int Pos;
        public bool Short;

        public byte U8()
        {
            if (Pos >= Bytes.Length || Pos >= 15)
            {
                Short = true;
                Pos++;
                return 0;
            }
            return Bytes[Pos++];
        }

        public long S8() => (sbyte)U8();
        public long S16() => (short)(U8() | (U8() << 8));
        public long U16() => (ushort)(U8() | (U8() << 8));
        public long S32() => (int)(U8() | ((uint)U8() << 8) | ((uint)U8() << 16) | ((uint)U8() << 24));
        public long U32() => (uint)S32();
        public long S64() => (long)((ulong)U32() | ((ulong)U32() << 32));
    }

    /// <summary>
    /// Decodes the instruction at the start of <paramref name="bytes"/> for a code segment of
    /// <paramref name="codeBits"/> (16, 32 or 64). Returns the length, or <see cref="NeedMoreBytes"/>.
    /// An instruction longer than 15 bytes decodes as #UD (hardware raises #GP; a known difference).
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> bytes, int codeBits, out Insn insn)
    {
        insn = default;
        var r = new Reader { Bytes = bytes };
        bool opOverride = false, addrOverride = false, long64 = codeBits == 64;
        int rex = 0;
        byte seg = 0xFF;
        byte flags = 0;
        int op;
        while (true)
        {
            op = r.U8();
            if (r.Short)
            {
                return r.Pos > 15 ? Fail(ref insn, 15) : NeedMoreBytes;
            }
            switch (op)
            {
                case 0x66: opOverride = true; rex = 0; continue;
                case 0x67: addrOverride = true; rex = 0; continue;
                case 0xF0: flags |= InsnFlags.Lock; rex = 0; continue;
                case 0xF2: flags = (byte)((flags & ~InsnFlags.Rep) | InsnFlags.RepNe); rex = 0; continue;
                case 0xF3: flags = (byte)((flags & ~InsnFlags.RepNe) | InsnFlags.Rep); rex = 0; continue;
                case 0x26: seg = ES; rex = 0; continue;
                case 0x2E: seg = CS; rex = 0; continue;
                case 0x36: seg = SS; rex = 0; continue;
                case 0x3E: seg = DS; rex = 0; continue;
                case 0x64: seg = FS; rex = 0; continue;
                case 0x65: seg = GS; rex = 0; continue;
            }
            if (long64 && (op & 0xF0) == 0x40)
            {
                rex = op;
                continue;
            }
            break;
        }
        bool rexW = (rex & 8) != 0;
        int osize = codeBits switch
        {
            16 => opOverride ? 4 : 2,
            32 => opOverride ? 2 : 4,
            _ => rexW ? 8 : opOverride ? 2 : 4,
        };
        int asize = codeBits switch
        {
            16 => addrOverride ? 4 : 2,
            32 => addrOverride ? 2 : 4,
            _ => addrOverride ? 4 : 8,
        };
        // Stack operations and near branches default to 64 bits in long mode.
        int ssize = long64 ? (opOverride ? 2 : 8) : osize;
        insn.OpSize = (byte)osize;
        insn.AddrSize = (byte)asize;
        insn.Seg = seg == 0xFF ? DS : seg;
        if (seg != 0xFF)
        {
            flags |= InsnFlags.SegOverride;
        }
        insn.Flags = flags;
        insn.Rm = Insn.NoReg;
        insn.Index = Insn.NoReg;
        var d = new Ctx { Rex = rex, SegOverride = seg != 0xFF, CodeBits = codeBits, OpOverride = opOverride };

        if (op == 0x0F)
        {
            DecodeTwoByte(ref r, ref insn, ref d, osize, ssize);
        }
        else
        {
            DecodeOneByte(ref r, ref insn, ref d, op, osize, ssize);
        }
        if (r.Short)
        {
            return r.Pos > 15 ? Fail(ref insn, 15) : NeedMoreBytes;
        }
        insn.Length = (byte)r.Pos;
        if ((insn.Flags & (InsnFlags.Rep | InsnFlags.RepNe)) != 0 && insn.Op is Op.Movs or Op.Cmps or Op.Stos or Op.Lods or Op.Scas)
        {
            // A repeated string instruction may stop mid-way and run again from the same RIP.
            insn.Flags |= InsnFlags.EndsBlock;
        }
        insn.Fast = FastOps.Select(in insn);
        return r.Pos;
    }

    private static int Fail(ref Insn insn, int length)
    {
        insn = default;
        insn.Op = Op.Ud;
        insn.Length = (byte)length;
        insn.Flags = InsnFlags.EndsBlock;
        return length;
    }

    private ref struct Ctx
    {
        public int Rex;
        public bool SegOverride;
        public int CodeBits;
        public int ModRm;
        /// <summary>A 66 prefix was present (an SSE mandatory prefix even when REX.W sets the operand size).</summary>
        public bool OpOverride;
    }

    private static int ByteReg(int reg, int rex) => rex != 0 || reg < 4 ? reg : 16 + reg - 4;

    /// <summary>Reads ModRM (and SIB, displacement); fills Reg, Rm or the address parts.</summary>
    private static void ModRm(ref Reader r, ref Insn i, ref Ctx d, bool byteRegs)
    {
        int m = r.U8();
        d.ModRm = m;
        int mod = m >> 6, reg = (m >> 3) & 7, rm = m & 7;
        int rex = d.Rex;
        int fullReg = reg | ((rex & 4) << 1);
        i.Reg = (byte)(byteRegs ? ByteReg(fullReg, rex) : fullReg);
        if (mod == 3)
        {
            int fullRm = rm | ((rex & 1) << 3);
            i.Rm = (byte)(byteRegs ? ByteReg(fullRm, rex) : fullRm);
            return;
        }
        i.Flags |= InsnFlags.Mem;
        byte defSeg = X86Decoder.DS;
        if (i.AddrSize == 2)
        {
            switch (rm)
            {
                case 0: i.Rm = 3; i.Index = 6; break;
                case 1: i.Rm = 3; i.Index = 7; break;
                case 2: i.Rm = 5; i.Index = 6; defSeg = SS; break;
                case 3: i.Rm = 5; i.Index = 7; defSeg = SS; break;
                case 4: i.Rm = 6; break;
                case 5: i.Rm = 7; break;
                case 6: if (mod == 0) { i.Rm = Insn.NoReg; } else { i.Rm = 5; defSeg = SS; } break;
                case 7: i.Rm = 3; break;
            }
            i.Disp = mod switch { 0 => rm == 6 ? r.U16() : 0, 1 => r.S8(), _ => r.S16() };
        }
        else
        {
            if (rm == 4)
            {
                int sib = r.U8();
                int scale = sib >> 6, index = ((sib >> 3) & 7) | ((rex & 2) << 2), b = sib & 7;
                i.Scale = (byte)scale;
                i.Index = index == 4 ? Insn.NoReg : (byte)index;
                if (b == 5 && mod == 0)
                {
                    i.Rm = Insn.NoReg;
                    i.Disp = r.S32();
                }
                else
                {
                    i.Rm = (byte)(b | ((rex & 1) << 3));
                    if (b == 4 || b == 5)
                    {
                        defSeg = SS;
                    }
                }
            }
            else if (rm == 5 && mod == 0)
            {
                i.Rm = d.CodeBits == 64 ? Insn.RipBase : Insn.NoReg;
                i.Disp = r.S32();
            }
            else
            {
                i.Rm = (byte)(rm | ((rex & 1) << 3));
                if (rm == 5)
                {
                    defSeg = SS;
                }
            }
            if (mod == 1)
            {
                i.Disp = r.S8();
            }
            else if (mod == 2)
            {
                i.Disp = r.S32();
            }
        }
        if (!d.SegOverride)
        {
            i.Seg = defSeg;
        }
    }

    private static long Imm(ref Reader r, int size) => size switch
    {
        1 => r.S8(),
        2 => r.S16(),
        _ => r.S32(),
    };

    private static void End(ref Insn i) => i.Flags |= InsnFlags.EndsBlock;

    private static void DecodeOneByte(ref Reader r, ref Insn i, ref Ctx d, int op, int osize, int ssize)
    {
        bool long64 = d.CodeBits == 64;
        int rexB = (d.Rex & 1) << 3;
        if (op < 0x40 && (op & 7) < 6)
        {
            i.Sub = (byte)(op >> 3);
            switch (op & 7)
            {
                case 0: i.Op = Op.AluRmReg; i.OpSize = 1; ModRm(ref r, ref i, ref d, true); return;
                case 1: i.Op = Op.AluRmReg; ModRm(ref r, ref i, ref d, false); return;
                case 2: i.Op = Op.AluRegRm; i.OpSize = 1; ModRm(ref r, ref i, ref d, true); return;
                case 3: i.Op = Op.AluRegRm; ModRm(ref r, ref i, ref d, false); return;
                case 4: i.Op = Op.AluRmImm; i.OpSize = 1; i.Rm = 0; i.Imm = r.S8(); return;
                case 5: i.Op = Op.AluRmImm; i.Rm = 0; i.Imm = Imm(ref r, osize); return;
            }
        }
        switch (op)
        {
            case 0x06: case 0x0E: case 0x16: case 0x1E:
                if (long64) { Invalid(ref i); return; }
                i.Op = Op.PushSreg; i.OpSize = (byte)osize; i.Reg = (byte)(op >> 3); return;
            case 0x07: case 0x17: case 0x1F:
                if (long64) { Invalid(ref i); return; }
                i.Op = Op.PopSreg; i.OpSize = (byte)osize; i.Reg = (byte)(op >> 3);
                if (op == 0x17) { End(ref i); } // MOV/POP SS inhibits interrupts for one instruction
                return;
            case 0x0F: Invalid(ref i); return;
            case 0x27: Simple(ref i, Op.Daa, long64); return;
            case 0x2F: Simple(ref i, Op.Das, long64); return;
            case 0x37: Simple(ref i, Op.Aaa, long64); return;
            case 0x3F: Simple(ref i, Op.Aas, long64); return;
        }
        if (op >= 0x40 && op <= 0x4F)
        {
            i.Op = op < 0x48 ? Op.IncRm : Op.DecRm;
            i.Rm = (byte)(op & 7);
            return;
        }
        if (op >= 0x50 && op <= 0x57)
        {
            i.Op = Op.PushRm; i.OpSize = (byte)ssize; i.Rm = (byte)((op & 7) | rexB); return;
        }
        if (op >= 0x58 && op <= 0x5F)
        {
            i.Op = Op.PopRm; i.OpSize = (byte)ssize; i.Rm = (byte)((op & 7) | rexB); return;
        }
        if (op >= 0x70 && op <= 0x7F)
        {
            i.Op = Op.Jcc; i.Sub = (byte)(op & 15); i.Imm = r.S8(); i.OpSize = (byte)ssize; End(ref i); return;
        }
        if (op >= 0x91 && op <= 0x97)
        {
            i.Op = Op.XchgRmReg; i.Rm = (byte)((op & 7) | rexB); i.Reg = 0; return;
        }
        if (op >= 0xB0 && op <= 0xB7)
        {
            i.Op = Op.MovRmImm; i.OpSize = 1; i.Rm = (byte)ByteReg((op & 7) | rexB, d.Rex); i.Imm = r.S8(); return;
        }
        if (op >= 0xB8 && op <= 0xBF)
        {
            i.Op = Op.MovRmImm; i.Rm = (byte)((op & 7) | rexB);
            i.Imm = osize == 8 ? r.S64() : Imm(ref r, osize);
            return;
        }
        if (op >= 0xD8 && op <= 0xDF)
        {
            i.Op = Op.Fpu; i.Sub = (byte)(op & 7); ModRm(ref r, ref i, ref d, false); i.Imm = d.ModRm; return;
        }
        switch (op)
        {
            case 0x60: Simple(ref i, Op.Pusha, long64); return;
            case 0x61: Simple(ref i, Op.Popa, long64); return;
            case 0x62:
                if (long64) { Invalid(ref i); return; }
                i.Op = Op.Bound; ModRm(ref r, ref i, ref d, false);
                if (!i.IsMem) { Invalid(ref i); }
                return;
            case 0x63:
                if (long64) { i.Op = Op.Movsxd; ModRm(ref r, ref i, ref d, false); return; }
                i.Op = Op.Arpl; i.OpSize = 2; ModRm(ref r, ref i, ref d, false); return;
            case 0x68: i.Op = Op.PushImm; i.OpSize = (byte)ssize; i.Imm = Imm(ref r, ssize == 2 ? 2 : 4); return;
            case 0x69: i.Op = Op.ImulRegRmImm; ModRm(ref r, ref i, ref d, false); i.Imm = Imm(ref r, osize); return;
            case 0x6A: i.Op = Op.PushImm; i.OpSize = (byte)ssize; i.Imm = r.S8(); return;
            case 0x6B: i.Op = Op.ImulRegRmImm; ModRm(ref r, ref i, ref d, false); i.Imm = r.S8(); return;
            case 0x6C: i.Op = Op.Ins; i.OpSize = 1; End(ref i); return;
            case 0x6D: i.Op = Op.Ins; i.OpSize = (byte)Math.Min(osize, 4); End(ref i); return;
            case 0x6E: i.Op = Op.Outs; i.OpSize = 1; End(ref i); return;
            case 0x6F: i.Op = Op.Outs; i.OpSize = (byte)Math.Min(osize, 4); End(ref i); return;
            case 0x80: case 0x82:
                if (op == 0x82 && long64) { Invalid(ref i); return; }
                i.OpSize = 1; ModRm(ref r, ref i, ref d, true); i.Sub = (byte)((d.ModRm >> 3) & 7); i.Op = Op.AluRmImm; i.Imm = r.S8(); return;
            case 0x81: ModRm(ref r, ref i, ref d, false); i.Sub = (byte)((d.ModRm >> 3) & 7); i.Op = Op.AluRmImm; i.Imm = Imm(ref r, osize); return;
            case 0x83: ModRm(ref r, ref i, ref d, false); i.Sub = (byte)((d.ModRm >> 3) & 7); i.Op = Op.AluRmImm; i.Imm = r.S8(); return;
            case 0x84: i.Op = Op.TestRmReg; i.OpSize = 1; ModRm(ref r, ref i, ref d, true); return;
            case 0x85: i.Op = Op.TestRmReg; ModRm(ref r, ref i, ref d, false); return;
            case 0x86: i.Op = Op.XchgRmReg; i.OpSize = 1; ModRm(ref r, ref i, ref d, true); return;
            case 0x87: i.Op = Op.XchgRmReg; ModRm(ref r, ref i, ref d, false); return;
            case 0x88: i.Op = Op.MovRmReg; i.OpSize = 1; ModRm(ref r, ref i, ref d, true); return;
            case 0x89: i.Op = Op.MovRmReg; ModRm(ref r, ref i, ref d, false); return;
            case 0x8A: i.Op = Op.MovRegRm; i.OpSize = 1; ModRm(ref r, ref i, ref d, true); return;
            case 0x8B: i.Op = Op.MovRegRm; ModRm(ref r, ref i, ref d, false); return;
            case 0x8C:
                i.Op = Op.MovRmSreg; ModRm(ref r, ref i, ref d, false); i.Reg &= 7;
                if (i.IsMem) { i.OpSize = 2; }
                if (i.Reg > 5) { Invalid(ref i); }
                return;
            case 0x8D:
                i.Op = Op.Lea; ModRm(ref r, ref i, ref d, false);
                if (!i.IsMem) { Invalid(ref i); }
                return;
            case 0x8E:
                i.Op = Op.MovSregRm; i.OpSize = 2; ModRm(ref r, ref i, ref d, false); i.Reg &= 7;
                if (i.Reg > 5 || i.Reg == CS) { Invalid(ref i); }
                End(ref i);
                return;
            case 0x8F:
                i.OpSize = (byte)ssize; ModRm(ref r, ref i, ref d, false); i.Op = ((d.ModRm >> 3) & 7) == 0 ? Op.PopRm : Op.Ud; return;
            case 0x90:
                if ((d.Rex & 1) != 0) { i.Op = Op.XchgRmReg; i.Rm = 8; i.Reg = 0; return; }
                i.Op = (i.Flags & InsnFlags.Rep) != 0 ? Op.Pause : Op.Nop; return;
            case 0x98: i.Op = Op.Cbw; return;
            case 0x99: i.Op = Op.Cwd; return;
            case 0x9A:
                if (long64) { Invalid(ref i); return; }
                i.Op = Op.CallFar; i.Imm = osize == 2 ? r.U16() : r.U32(); i.Imm2 = (int)r.U16(); End(ref i); return;
            case 0x9B: i.Op = Op.Wait; return;
            case 0x9C: i.Op = Op.Pushf; i.OpSize = (byte)ssize; return;
            case 0x9D: i.Op = Op.Popf; i.OpSize = (byte)ssize; End(ref i); return;
            case 0x9E: i.Op = Op.Sahf; return;
            case 0x9F: i.Op = Op.Lahf; return;
            case 0xA0: case 0xA1: case 0xA2: case 0xA3:
                i.Op = op < 0xA2 ? Op.MovRegRm : Op.MovRmReg;
                if ((op & 1) == 0) { i.OpSize = 1; }
                i.Reg = 0;
                i.Flags |= InsnFlags.Mem;
                i.Rm = Insn.NoReg;
                i.Disp = i.AddrSize switch { 2 => r.U16(), 4 => r.U32(), _ => r.S64() };
                return;
            case 0xA4: i.Op = Op.Movs; i.OpSize = 1; return;
            case 0xA5: i.Op = Op.Movs; return;
            case 0xA6: i.Op = Op.Cmps; i.OpSize = 1; return;
            case 0xA7: i.Op = Op.Cmps; return;
            case 0xA8: i.Op = Op.TestRmImm; i.OpSize = 1; i.Rm = 0; i.Imm = r.S8(); return;
            case 0xA9: i.Op = Op.TestRmImm; i.Rm = 0; i.Imm = Imm(ref r, osize); return;
            case 0xAA: i.Op = Op.Stos; i.OpSize = 1; return;
            case 0xAB: i.Op = Op.Stos; return;
            case 0xAC: i.Op = Op.Lods; i.OpSize = 1; return;
            case 0xAD: i.Op = Op.Lods; return;
            case 0xAE: i.Op = Op.Scas; i.OpSize = 1; return;
            case 0xAF: i.Op = Op.Scas; return;
            case 0xC0: case 0xC1: case 0xD0: case 0xD1: case 0xD2: case 0xD3:
                {
                    bool b = (op & 1) == 0;
                    if (b) { i.OpSize = 1; }
                    ModRm(ref r, ref i, ref d, b);
                    i.Sub = (byte)((d.ModRm >> 3) & 7);
                    if (op >= 0xD2) { i.Op = Op.ShiftRmCl; }
                    else { i.Op = Op.ShiftRmImm; i.Imm = op >= 0xD0 ? 1 : r.U8(); }
                    return;
                }
            case 0xC2: i.Op = Op.Ret; i.OpSize = (byte)ssize; i.Imm = r.U16(); End(ref i); return;
            case 0xC3: i.Op = Op.Ret; i.OpSize = (byte)ssize; End(ref i); return;
            case 0xC4: case 0xC5:
                if (long64) { Invalid(ref i); return; }
                i.Op = Op.LoadFarPointer; i.Sub = op == 0xC4 ? ES : DS; ModRm(ref r, ref i, ref d, false);
                if (!i.IsMem) { Invalid(ref i); }
                return;
            case 0xC6: case 0xC7:
                {
                    bool b = op == 0xC6;
                    if (b) { i.OpSize = 1; }
                    ModRm(ref r, ref i, ref d, b);
                    i.Op = ((d.ModRm >> 3) & 7) == 0 ? Op.MovRmImm : Op.Ud;
                    i.Imm = Imm(ref r, b ? 1 : i.OpSize);
                    return;
                }
            case 0xC8: i.Op = Op.Enter; i.OpSize = (byte)ssize; i.Imm = r.U16(); i.Imm2 = r.U8(); return;
            case 0xC9: i.Op = Op.Leave; i.OpSize = (byte)ssize; return;
            case 0xCA: i.Op = Op.Retf; i.Imm = r.U16(); End(ref i); return;
            case 0xCB: i.Op = Op.Retf; End(ref i); return;
            case 0xCC: i.Op = Op.Int3; End(ref i); return;
            case 0xCD: i.Op = Op.Int; i.Imm = r.U8(); End(ref i); return;
            case 0xCE: if (long64) { Invalid(ref i); return; } i.Op = Op.Into; End(ref i); return;
            case 0xCF: i.Op = Op.Iret; End(ref i); return;
            case 0xD4: if (long64) { Invalid(ref i); return; } i.Op = Op.Aam; i.Imm = r.U8(); return;
            case 0xD5: if (long64) { Invalid(ref i); return; } i.Op = Op.Aad; i.Imm = r.U8(); return;
            case 0xD6: Simple(ref i, Op.Salc, long64); return;
            case 0xD7: i.Op = Op.Xlat; i.OpSize = 1; return;
            case 0xE0: case 0xE1: case 0xE2: case 0xE3:
                i.Op = Op.Loop; i.Sub = (byte)(op & 3); i.Imm = r.S8(); i.OpSize = (byte)ssize; End(ref i); return;
            case 0xE4: i.Op = Op.InImm; i.OpSize = 1; i.Imm = r.U8(); End(ref i); return;
            case 0xE5: i.Op = Op.InImm; i.OpSize = (byte)Math.Min(osize, 4); i.Imm = r.U8(); End(ref i); return;
            case 0xE6: i.Op = Op.OutImm; i.OpSize = 1; i.Imm = r.U8(); End(ref i); return;
            case 0xE7: i.Op = Op.OutImm; i.OpSize = (byte)Math.Min(osize, 4); i.Imm = r.U8(); End(ref i); return;
            case 0xE8: i.Op = Op.Call; i.OpSize = (byte)ssize; i.Imm = Imm(ref r, osize == 2 ? 2 : 4); End(ref i); return;
            case 0xE9: i.Op = Op.Jmp; i.OpSize = (byte)ssize; i.Imm = Imm(ref r, osize == 2 ? 2 : 4); End(ref i); return;
            case 0xEA:
                if (long64) { Invalid(ref i); return; }
                i.Op = Op.JmpFar; i.Imm = osize == 2 ? r.U16() : r.U32(); i.Imm2 = (int)r.U16(); End(ref i); return;
            case 0xEB: i.Op = Op.Jmp; i.OpSize = (byte)ssize; i.Imm = r.S8(); End(ref i); return;
            case 0xEC: i.Op = Op.InDx; i.OpSize = 1; End(ref i); return;
            case 0xED: i.Op = Op.InDx; i.OpSize = (byte)Math.Min(osize, 4); End(ref i); return;
            case 0xEE: i.Op = Op.OutDx; i.OpSize = 1; End(ref i); return;
            case 0xEF: i.Op = Op.OutDx; i.OpSize = (byte)Math.Min(osize, 4); End(ref i); return;
            case 0xF1: i.Op = Op.Int1; End(ref i); return;
            case 0xF4: i.Op = Op.Hlt; End(ref i); return;
            case 0xF5: i.Op = Op.Cmc; return;
            case 0xF6: case 0xF7:
                {
                    bool b = op == 0xF6;
                    if (b) { i.OpSize = 1; }
                    ModRm(ref r, ref i, ref d, b);
                    int sub = (d.ModRm >> 3) & 7;
                    switch (sub)
                    {
                        case 0: case 1: i.Op = Op.TestRmImm; i.Imm = Imm(ref r, b ? 1 : i.OpSize); break;
                        case 2: i.Op = Op.NotRm; break;
                        case 3: i.Op = Op.NegRm; break;
                        case 4: i.Op = Op.MulRm; break;
                        case 5: i.Op = Op.ImulRm; break;
                        case 6: i.Op = Op.DivRm; End(ref i); break;
                        case 7: i.Op = Op.IdivRm; End(ref i); break;
                    }
                    return;
                }
            case 0xF8: i.Op = Op.Clc; return;
            case 0xF9: i.Op = Op.Stc; return;
            case 0xFA: i.Op = Op.Cli; return;
            case 0xFB: i.Op = Op.Sti; End(ref i); return;
            case 0xFC: i.Op = Op.Cld; return;
            case 0xFD: i.Op = Op.Std; return;
            case 0xFE:
                i.OpSize = 1; ModRm(ref r, ref i, ref d, true);
                i.Op = ((d.ModRm >> 3) & 7) switch { 0 => Op.IncRm, 1 => Op.DecRm, _ => Op.Ud };
                return;
            case 0xFF:
                {
                    ModRm(ref r, ref i, ref d, false);
                    int sub = (d.ModRm >> 3) & 7;
                    switch (sub)
                    {
                        case 0: i.Op = Op.IncRm; break;
                        case 1: i.Op = Op.DecRm; break;
                        case 2: i.Op = Op.CallRm; i.OpSize = (byte)ssize; End(ref i); break;
                        case 3: i.Op = i.IsMem ? Op.CallFarMem : Op.Ud; End(ref i); break;
                        case 4: i.Op = Op.JmpRm; i.OpSize = (byte)ssize; End(ref i); break;
                        case 5: i.Op = i.IsMem ? Op.JmpFarMem : Op.Ud; End(ref i); break;
                        case 6: i.Op = Op.PushRm; i.OpSize = (byte)ssize; break;
                        default: i.Op = Op.Ud; break;
                    }
                    return;
                }
        }
        Invalid(ref i);
    }

    private static void Simple(ref Insn i, Op op, bool invalidIn64)
    {
        if (invalidIn64) { Invalid(ref i); return; }
        i.Op = op;
    }

    private static void Invalid(ref Insn i)
    {
        i.Op = Op.Ud;
        i.Flags |= InsnFlags.EndsBlock;
    }

    private static void DecodeTwoByte(ref Reader r, ref Insn i, ref Ctx d, int osize, int ssize)
    {
        int op = r.U8();
        if (DecodeSse(ref r, ref i, ref d, op))
        {
            return;
        }
        if (op >= 0x80 && op <= 0x8F)
        {
            i.Op = Op.Jcc; i.Sub = (byte)(op & 15); i.OpSize = (byte)ssize; i.Imm = Imm(ref r, osize == 2 ? 2 : 4); End(ref i); return;
        }
        if (op >= 0x40 && op <= 0x4F)
        {
            i.Op = Op.Cmovcc; i.Sub = (byte)(op & 15); ModRm(ref r, ref i, ref d, false); return;
        }
        if (op >= 0x90 && op <= 0x9F)
        {
            i.Op = Op.Setcc; i.Sub = (byte)(op & 15); i.OpSize = 1; ModRm(ref r, ref i, ref d, true); return;
        }
        if (op >= 0xC8 && op <= 0xCF)
        {
            i.Op = Op.Bswap; i.Rm = (byte)((op & 7) | ((d.Rex & 1) << 3)); return;
        }
        int sub;
        switch (op)
        {
            case 0x00:
                ModRm(ref r, ref i, ref d, false); sub = (d.ModRm >> 3) & 7; i.OpSize = 2;
                i.Op = sub switch { 0 => Op.Sldt, 1 => Op.Str, 2 => Op.Lldt, 3 => Op.Ltr, 4 => Op.Verr, 5 => Op.Verw, _ => Op.Ud };
                if (sub == 0 || sub == 1) { i.OpSize = (byte)(i.IsMem ? 2 : osize); }
                End(ref i);
                return;
            case 0x01:
                ModRm(ref r, ref i, ref d, false); sub = (d.ModRm >> 3) & 7;
                if (!i.IsMem)
                {
                    int rm = d.ModRm & 7;
                    i.Op = (sub, rm) switch
                    {
                        (4, _) => Op.Smsw,
                        (6, _) => Op.Lmsw,
                        (2, 0) => Op.Xgetbv,
                        (7, 0) => d.CodeBits == 64 ? Op.Swapgs : Op.Ud,
                        (7, 1) => Op.Rdtscp,
                        _ => Op.Ud,
                    };
                    if (i.Op == Op.Smsw) { i.OpSize = (byte)osize; }
                    if (i.Op == Op.Lmsw) { i.OpSize = 2; }
                    End(ref i);
                    return;
                }
                i.Op = sub switch { 0 => Op.Sgdt, 1 => Op.Sidt, 2 => Op.Lgdt, 3 => Op.Lidt, 4 => Op.Smsw, 6 => Op.Lmsw, 7 => Op.Invlpg, _ => Op.Ud };
                if (i.Op == Op.Smsw || i.Op == Op.Lmsw) { i.OpSize = 2; }
                End(ref i);
                return;
            case 0x02: i.Op = Op.Lar; ModRm(ref r, ref i, ref d, false); return;
            case 0x03: i.Op = Op.Lsl; ModRm(ref r, ref i, ref d, false); return;
            case 0x05: i.Op = d.CodeBits == 64 ? Op.Syscall : Op.Ud; End(ref i); return;
            case 0x06: i.Op = Op.Clts; return;
            case 0x07: i.Op = d.CodeBits == 64 ? Op.Sysret : Op.Ud; End(ref i); return;
            case 0x08: case 0x09: i.Op = Op.Nop; return;
            case 0x0B: i.Op = Op.Ud; End(ref i); return;
            case 0x0D: case 0x18: case 0x19: case 0x1A: case 0x1B: case 0x1C: case 0x1D: case 0x1E: case 0x1F:
                ModRm(ref r, ref i, ref d, false); i.Op = Op.Nop; return;
            case 0x20: case 0x21: case 0x22: case 0x23:
                {
                    // MOV to/from control and debug registers always uses the register form and the full width.
                    ModRm(ref r, ref i, ref d, false);
                    i.Flags &= unchecked((byte)~InsnFlags.Mem);
                    i.Rm = (byte)((d.ModRm & 7) | ((d.Rex & 1) << 3));
                    i.OpSize = (byte)(d.CodeBits == 64 ? 8 : 4);
                    i.Op = op switch { 0x20 => Op.MovFromCr, 0x21 => Op.MovFromDr, 0x22 => Op.MovToCr, _ => Op.MovToDr };
                    End(ref i);
                    return;
                }
            case 0x30: i.Op = Op.Wrmsr; End(ref i); return;
            case 0x31: i.Op = Op.Rdtsc; return;
            case 0x32: i.Op = Op.Rdmsr; return;
            case 0x34: i.Op = Op.Sysenter; End(ref i); return;
            case 0x35: i.Op = Op.Sysexit; End(ref i); return;
            case 0xA0: i.Op = Op.PushSreg; i.OpSize = (byte)ssize; i.Reg = FS; return;
            case 0xA1: i.Op = Op.PopSreg; i.OpSize = (byte)ssize; i.Reg = FS; return;
            case 0xA8: i.Op = Op.PushSreg; i.OpSize = (byte)ssize; i.Reg = GS; return;
            case 0xA9: i.Op = Op.PopSreg; i.OpSize = (byte)ssize; i.Reg = GS; return;
            case 0xA2: i.Op = Op.Cpuid; return;
            case 0xA3: i.Op = Op.BtRmReg; i.Sub = 0; ModRm(ref r, ref i, ref d, false); return;
            case 0xAB: i.Op = Op.BtRmReg; i.Sub = 1; ModRm(ref r, ref i, ref d, false); return;
            case 0xB3: i.Op = Op.BtRmReg; i.Sub = 2; ModRm(ref r, ref i, ref d, false); return;
            case 0xBB: i.Op = Op.BtRmReg; i.Sub = 3; ModRm(ref r, ref i, ref d, false); return;
            case 0xA4: i.Op = Op.ShldImm; ModRm(ref r, ref i, ref d, false); i.Imm = r.U8(); return;
            case 0xA5: i.Op = Op.ShldCl; ModRm(ref r, ref i, ref d, false); return;
            case 0xAC: i.Op = Op.ShrdImm; ModRm(ref r, ref i, ref d, false); i.Imm = r.U8(); return;
            case 0xAD: i.Op = Op.ShrdCl; ModRm(ref r, ref i, ref d, false); return;
            case 0xAF: i.Op = Op.ImulRegRm; ModRm(ref r, ref i, ref d, false); return;
            case 0xB0: i.Op = Op.Cmpxchg; i.OpSize = 1; ModRm(ref r, ref i, ref d, true); return;
            case 0xB1: i.Op = Op.Cmpxchg; ModRm(ref r, ref i, ref d, false); return;
            case 0xB2: case 0xB4: case 0xB5:
                i.Op = Op.LoadFarPointer; i.Sub = op == 0xB2 ? SS : op == 0xB4 ? FS : GS; ModRm(ref r, ref i, ref d, false);
                if (!i.IsMem) { Invalid(ref i); }
                return;
            case 0xB6: i.Op = Op.Movzx; i.Sub = 1; ModRm(ref r, ref i, ref d, true); FixByteReg(ref i, d.Rex, d.ModRm); return;
            case 0xB7: i.Op = Op.Movzx; i.Sub = 2; ModRm(ref r, ref i, ref d, false); return;
            case 0xBE: i.Op = Op.Movsx; i.Sub = 1; ModRm(ref r, ref i, ref d, true); FixByteReg(ref i, d.Rex, d.ModRm); return;
            case 0xBF: i.Op = Op.Movsx; i.Sub = 2; ModRm(ref r, ref i, ref d, false); return;
            case 0xB8:
                i.Op = (i.Flags & InsnFlags.Rep) != 0 ? Op.Popcnt : Op.Ud; ModRm(ref r, ref i, ref d, false); return;
            case 0xBA:
                ModRm(ref r, ref i, ref d, false); sub = (d.ModRm >> 3) & 7; i.Imm = r.U8();
                if (sub < 4) { Invalid(ref i); return; }
                i.Op = Op.BtRmImm; i.Sub = (byte)(sub - 4); return;
            case 0xBC: i.Op = (i.Flags & InsnFlags.Rep) != 0 ? Op.Tzcnt : Op.Bsf; ModRm(ref r, ref i, ref d, false); return;
            case 0xBD: i.Op = (i.Flags & InsnFlags.Rep) != 0 ? Op.Lzcnt : Op.Bsr; ModRm(ref r, ref i, ref d, false); return;
            case 0xC0: i.Op = Op.Xadd; i.OpSize = 1; ModRm(ref r, ref i, ref d, true); return;
            case 0xC1: i.Op = Op.Xadd; ModRm(ref r, ref i, ref d, false); return;
            case 0xC7:
                ModRm(ref r, ref i, ref d, false); sub = (d.ModRm >> 3) & 7;
                if (sub == 1 && i.IsMem) { i.Op = Op.Cmpxchg8b; return; }
                if (sub == 6 && !i.IsMem) { i.Op = Op.Rdrand; return; }
                Invalid(ref i); return;
        }
        Invalid(ref i);
    }

    /// <summary>MOVZX/MOVSX: the destination is a full register even though the source is a byte.</summary>
    private static void FixByteReg(ref Insn i, int rex, int modrm) =>
        i.Reg = (byte)(((modrm >> 3) & 7) | ((rex & 4) << 1));
}
