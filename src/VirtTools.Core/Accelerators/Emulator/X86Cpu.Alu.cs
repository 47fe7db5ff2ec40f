using System.Numerics;
using System.Runtime.CompilerServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>Integer arithmetic with the flags the Intel SDM defines for each instruction.</summary>
public sealed partial class X86Cpu
{
    /// <summary>The eight classic ALU operations; returns the result (CMP's is discarded by the caller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Alu(int op, ulong a, ulong b, int size)
    {
        ulong m = Mask(size);
        a &= m;
        b &= m;
        ulong r;
        switch (op)
        {
            case 0: r = (a + b) & m; SetLazy(LazyAdd, a, b, r, size); return r;
            case 1: r = a | b; SetLazy(LazyLogic, a, b, r, size); return r;
            case 2:
            case 3: return AluWithCarry(op, a, b, size);
            case 4: r = a & b; SetLazy(LazyLogic, a, b, r, size); return r;
            case 6: r = a ^ b; SetLazy(LazyLogic, a, b, r, size); return r;
            default: r = (a - b) & m; SetLazy(LazySub, a, b, r, size); return r;
        }
    }

    /// <summary>
    /// ADC (2) and SBB (3) on masked operands: out of line, so the inlined <see cref="Alu"/> the
    /// hot handlers copy per size stays small (they are rare next to ADD, SUB, CMP and the logic ops).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong AluWithCarry(int op, ulong a, ulong b, int size)
    {
        ulong m = Mask(size);
        bool c = GetCF();
        ulong r;
        if (op == 2)
        {
            r = (a + b + (c ? 1UL : 0)) & m;
            SetLazy(c ? LazyAdc : LazyAdd, a, b, r, size);
        }
        else
        {
            r = (a - b - (c ? 1UL : 0)) & m;
            SetLazy(c ? LazySbb : LazySub, a, b, r, size);
        }
        return r;
    }

    internal ulong Shift(int kind, ulong a, int count, int size)
    {
        int bits = size * 8;
        count &= size == 8 ? 63 : 31;
        ulong m = Mask(size);
        a &= m;
        if (count == 0)
        {
            return a;
        }
        ulong sign = SignBit(size);
        ulong r;
        bool cf;
        uint f = GetFlags();
        bool of;
        switch (kind)
        {
            case 0: // ROL
                {
                    int c = count % bits;
                    r = c == 0 ? a : ((a << c) | (a >> (bits - c))) & m;
                    cf = (r & 1) != 0;
                    of = ((r & sign) != 0) ^ cf;
                    SetArith(CF | OF, (cf ? CF : 0) | (of ? OF : 0));
                    return r;
                }
            case 1: // ROR
                {
                    int c = count % bits;
                    r = c == 0 ? a : ((a >> c) | (a << (bits - c))) & m;
                    cf = (r & sign) != 0;
                    of = ((r ^ (r << 1)) & sign) != 0;
                    SetArith(CF | OF, (cf ? CF : 0) | (of ? OF : 0));
                    return r;
                }
            case 2: // RCL
                {
                    int c = count % (bits + 1);
                    r = a;
                    cf = (f & CF) != 0;
                    for (int k = 0; k < c; k++)
                    {
                        bool outBit = (r & sign) != 0;
                        r = ((r << 1) | (cf ? 1UL : 0)) & m;
                        cf = outBit;
                    }
                    of = ((r & sign) != 0) ^ cf;
                    SetArith(CF | OF, (cf ? CF : 0) | (of ? OF : 0));
                    return r;
                }
            case 3: // RCR
                {
                    int c = count % (bits + 1);
                    r = a;
                    cf = (f & CF) != 0;
                    for (int k = 0; k < c; k++)
                    {
                        bool outBit = (r & 1) != 0;
                        r = (r >> 1) | (cf ? sign : 0);
                        cf = outBit;
                    }
                    of = ((r ^ (r << 1)) & sign) != 0;
                    SetArith(CF | OF, (cf ? CF : 0) | (of ? OF : 0));
                    return r;
                }
            case 4:
            case 6: // SHL/SAL
                r = count >= 64 ? 0 : (a << count) & m;
                cf = count <= bits && ((a << (count - 1)) & sign) != 0;
                of = ((r & sign) != 0) ^ cf;
                break;
            case 5: // SHR
                r = count >= 64 ? 0 : a >> count;
                cf = count <= bits && ((a >> (count - 1)) & 1) != 0;
                of = (a & sign) != 0;
                break;
            default: // SAR
                {
                    long s = SignExtend(a, size);
                    r = (ulong)(s >> Math.Min(count, 63)) & m;
                    cf = ((s >> Math.Min(count - 1, 63)) & 1) != 0;
                    of = false;
                    break;
                }
        }
        SetArith(ArithFlags, Szp(r, size) | (cf ? CF : 0) | (of ? OF : 0));
        return r;
    }

    internal ulong DoubleShift(bool left, ulong dst, ulong src, int count, int size)
    {
        int bits = size * 8;
        count &= size == 8 ? 63 : 31;
        ulong m = Mask(size);
        dst &= m;
        src &= m;
        if (count == 0)
        {
            return dst;
        }
        ulong r;
        bool cf;
        if (size == 2 && count > 16)
        {
            // Intel: a 16-bit SHLD/SHRD count above 16 shifts through src:dst:src (result undefined).
            count -= 16;
            (dst, src) = (src, dst);
        }
        UInt128 wide;
        if (left)
        {
            wide = ((UInt128)dst << bits) | src;
            r = (ulong)(wide >> (bits - count)) & m;
            cf = ((dst >> (bits - count)) & 1) != 0;
        }
        else
        {
            wide = ((UInt128)src << bits) | dst;
            r = (ulong)(wide >> count) & m;
            cf = ((dst >> (count - 1)) & 1) != 0;
        }
        bool of = ((r ^ dst) & SignBit(size)) != 0;
        SetArith(ArithFlags, Szp(r, size) | (cf ? CF : 0) | (of ? OF : 0));
        return r;
    }

    internal void Multiply(ulong src, int size, bool signed)
    {
        ulong m = Mask(size);
        ulong a = GetReg(RAX, size);
        ulong lo, hi;
        bool overflow;
        if (size == 8)
        {
            if (signed)
            {
                long h = Math.BigMul((long)a, (long)src, out long l);
                lo = (ulong)l;
                hi = (ulong)h;
                overflow = h != (l >> 63);
            }
            else
            {
                hi = Math.BigMul(a, src, out lo);
                overflow = hi != 0;
            }
        }
        else
        {
            int bits = size * 8;
            if (signed)
            {
                long p = SignExtend(a, size) * SignExtend(src, size);
                lo = (ulong)p & m;
                hi = (ulong)(p >> bits) & m;
                overflow = p != SignExtend(lo, size);
            }
            else
            {
                ulong p = (a & m) * (src & m);
                lo = p & m;
                hi = (p >> bits) & m;
                overflow = hi != 0;
            }
        }
        if (size == 1)
        {
            SetReg(RAX, 2, lo | (hi << 8));
        }
        else
        {
            SetReg(RAX, size, lo);
            SetReg(RDX, size, hi);
        }
        SetArith(ArithFlags, Szp(lo, size) | (overflow ? CF | OF : 0));
    }

    /// <summary>Two- and three-operand IMUL: the truncated product, CF = OF = it did not fit.</summary>
    internal ulong ImulTruncating(ulong a, ulong b, int size)
    {
        long sa = SignExtend(a, size), sb = SignExtend(b, size);
        ulong lo;
        bool overflow;
        if (size == 8)
        {
            long h = Math.BigMul(sa, sb, out long l);
            lo = (ulong)l;
            overflow = h != (l >> 63);
        }
        else
        {
            long p = sa * sb;
            lo = (ulong)p & Mask(size);
            overflow = p != SignExtend(lo, size);
        }
        SetArith(ArithFlags, Szp(lo, size) | (overflow ? CF | OF : 0));
        return lo;
    }

    internal void Divide(ulong divisor, int size, bool signed)
    {
        ulong m = Mask(size);
        divisor &= m;
        if (divisor == 0)
        {
            throw new GuestFault(Vectors.DE);
        }
        int bits = size * 8;
        UInt128 dividend = size == 1 ? GetReg(RAX, 2) : ((UInt128)GetReg(RDX, size) << bits) | GetReg(RAX, size);
        ulong q, rem;
        if (!signed)
        {
            UInt128 qq = dividend / divisor;
            if (qq > m) { throw new GuestFault(Vectors.DE); }
            q = (ulong)qq;
            rem = (ulong)(dividend % divisor);
        }
        else
        {
            // Sign-extend the 2*size-bit dividend to 128 bits.
            Int128 sd = (Int128)(dividend << (128 - 2 * bits)) >> (128 - 2 * bits);
            Int128 sv = SignExtend(divisor, size);
            Int128 qq = sd / sv;
            Int128 min = -((Int128)1 << (bits - 1)), max = ((Int128)1 << (bits - 1)) - 1;
            if (qq < min || qq > max) { throw new GuestFault(Vectors.DE); }
            q = (ulong)(long)qq & m;
            rem = (ulong)(long)(sd % sv) & m;
        }
        if (size == 1)
        {
            SetReg(RAX, 2, q | (rem << 8));
        }
        else
        {
            SetReg(RAX, size, q);
            SetReg(RDX, size, rem);
        }
    }

    internal void BitTest(int kind, ref Insn i, long bitOffset)
    {
        int size = i.OpSize;
        int bits = size * 8;
        ulong value, linear = 0;
        int bit;
        if (i.IsMem)
        {
            // A register bit offset addresses memory beyond the operand (signed, in operand-size units).
            long unit = bitOffset >> (size == 8 ? 6 : size == 4 ? 5 : 4);
            bit = (int)(bitOffset & (bits - 1));
            linear = (Linear(ref i) + (ulong)(unit * size)) & LinearMask;
            value = ReadMem(linear, size);
        }
        else
        {
            bit = (int)(bitOffset & (bits - 1));
            value = GetReg(i.Rm, size);
        }
        bool cf = ((value >> bit) & 1) != 0;
        SetCFOnly(cf);
        if (kind == 0)
        {
            return;
        }
        ulong r = kind switch { 1 => value | (1UL << bit), 2 => value & ~(1UL << bit), _ => value ^ (1UL << bit) };
        if (i.IsMem) { WriteMem(linear, size, r); }
        else { SetReg(i.Rm, size, r); }
    }

    internal void BitScan(ref Insn i, bool reverse)
    {
        ulong v = ReadRm(ref i) & Mask(i.OpSize);
        if (v == 0)
        {
            SetArith(ZF, ZF);
            return;
        }
        int idx = reverse ? 63 - BitOperations.LeadingZeroCount(v) : BitOperations.TrailingZeroCount(v);
        SetArith(ZF, 0);
        SetReg(i.Reg, i.OpSize, (ulong)idx);
    }

    internal void Bcd(Op op)
    {
        uint f = GetFlags();
        bool af = (f & AF) != 0, cf = (f & CF) != 0;
        byte al = (byte)R[RAX];
        switch (op)
        {
            case Op.Daa:
                {
                    byte old = al;
                    bool newCf = false, newAf = false;
                    if ((al & 0xF) > 9 || af) { newCf = cf || al > 0xF9; al += 6; newAf = true; }
                    if (old > 0x99 || cf) { al += 0x60; newCf = true; }
                    SetReg(RAX, 1, al);
                    SetArith(ArithFlags & ~OF, Szp(al, 1) | (newCf ? CF : 0) | (newAf ? AF : 0));
                    break;
                }
            case Op.Das:
                {
                    byte old = al;
                    bool newCf = false, newAf = false;
                    if ((al & 0xF) > 9 || af) { newCf = cf || al < 6; al -= 6; newAf = true; }
                    if (old > 0x99 || cf) { al -= 0x60; newCf = true; }
                    SetReg(RAX, 1, al);
                    SetArith(ArithFlags & ~OF, Szp(al, 1) | (newCf ? CF : 0) | (newAf ? AF : 0));
                    break;
                }
            case Op.Aaa:
            case Op.Aas:
                {
                    ushort ax = (ushort)R[RAX];
                    bool adjust = (al & 0xF) > 9 || af;
                    if (adjust)
                    {
                        // Intel SDM: AAA adds 106h to AX; AAS subtracts 6 from AX, then 1 from AH.
                        ax = op == Op.Aaa ? (ushort)(ax + 0x106) : (ushort)(ax - 6 - 0x100);
                    }
                    ax = (ushort)(ax & 0xFF0F);
                    SetReg(RAX, 2, ax);
                    SetArith(CF | AF, adjust ? CF | AF : 0);
                    break;
                }
        }
    }
}
