using System.Numerics;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// Loads and stores between <see cref="Float80"/> and the memory formats x87 instructions take:
/// binary32, binary64, 16/32/64-bit two's-complement integers and 18-digit packed BCD. Loads
/// are exact; stores round with the FCW's rounding mode (never its precision control) and raise
/// the flags SDM vol. 1, 8.5 lists for them.
/// </summary>
internal static class Float80Conversions
{
    public const uint SingleIndefinite = 0xFFC00000;
    public const ulong DoubleIndefinite = 0xFFF8000000000000;

    /// <summary>
    /// binary32 to 80 bits. FLD quiets an SNaN (raising IE); arithmetic with a memory operand
    /// passes <paramref name="keepSignaling"/> so the NaN rules see which operand was signalling.
    /// </summary>
    public static Float80 FromSingle(uint bits, ref X87Rounding r, bool keepSignaling = false) =>
        FromBinary(bits >> 31 != 0, (int)((bits >> 23) & 0xFF), bits & 0x7FFFFF, 23, 127, keepSignaling, ref r);

    public static Float80 FromDouble(ulong bits, ref X87Rounding r, bool keepSignaling = false) =>
        FromBinary(bits >> 63 != 0, (int)((bits >> 52) & 0x7FF), bits & 0xFFFFFFFFFFFFF, 52, 1023, keepSignaling, ref r);

    private static Float80 FromBinary(bool sign, int exp, ulong frac, int fracBits, int bias, bool keepSignaling, ref X87Rounding r)
    {
        ushort s = (ushort)(sign ? 0x8000 : 0);
        int maxExp = 2 * bias + 1;
        if (exp == maxExp)
        {
            var special = new Float80((ushort)(s | Float80.MaxExp), Float80.IntegerBit | (frac << (63 - fracBits)));
            return special.IsNaN && !keepSignaling ? Float80Arithmetic.PropagateNaN(special, ref r) : special;
        }
        if (exp == 0)
        {
            if (frac == 0) { return Float80.Zero(sign); }
            r.Flags |= X87Rounding.DE;
            int lz = BitOperations.LeadingZeroCount(frac);
            // frac × 2^(1 − bias − fracBits), renormalised with the integer bit at 63.
            int e = 1 - bias - fracBits + 63 - lz;
            return new Float80((ushort)(s | (e + Float80.Bias)), frac << lz);
        }
        return new Float80((ushort)(s | (exp - bias + Float80.Bias)), Float80.IntegerBit | (frac << (63 - fracBits)));
    }

    public static uint ToSingle(Float80 x, ref X87Rounding r) => (uint)ToBinary(x, 24, 127, SingleIndefinite, ref r);

    public static ulong ToDouble(Float80 x, ref X87Rounding r) => ToBinary(x, 53, 1023, DoubleIndefinite, ref r);

    private static ulong ToBinary(Float80 x, int precision, int bias, ulong indefinite, ref X87Rounding r)
    {
        r.RoundedUp = false;
        int fracBits = precision - 1, width = precision + (bias == 127 ? 8 : 11);
        ulong sign = x.Sign ? 1UL << (width - 1) : 0;
        ulong expField = (ulong)(2 * bias + 1) << fracBits;
        if (x.IsUnsupported)
        {
            r.Flags |= X87Rounding.IE;
            return indefinite;
        }
        if (x.IsNaN)
        {
            var q = Float80Arithmetic.PropagateNaN(x, ref r);
            return sign | expField | ((q.Significand & ~Float80.IntegerBit) >> (63 - fracBits));
        }
        if (x.IsInfinity) { return sign | expField; }
        if (x.IsZero) { return sign; }
        // An 80-bit denormal source raises no DE here (measured): only UE/PE from the rounding.
        var u = Float80Arithmetic.Unpack(x);
        var (biased, sig) = Float80Arithmetic.Round(x.Sign, u.Exp, u.Sig, precision, 1 - bias, bias, bias, ref r);
        ulong frac = (ulong)(sig >> (127 - fracBits)) & ((1UL << fracBits) - 1);
        return sign | ((ulong)biased << fracBits) | frac;
    }

    public static Float80 FromInteger(long v)
    {
        if (v == 0) { return Float80.PositiveZero; }
        ulong m = v < 0 ? (ulong)-v : (ulong)v;
        int lz = BitOperations.LeadingZeroCount(m);
        return new Float80((ushort)((v < 0 ? 0x8000 : 0) | (Float80.Bias + 63 - lz)), m << lz);
    }

    /// <summary>
    /// FIST/FISTP (FCW rounding) and FISTTP (<paramref name="truncate"/>) into a <paramref name="size"/>-byte
    /// integer. NaN, infinity and out-of-range values raise IE and give the integer indefinite (only the sign bit set).
    /// </summary>
    public static ulong ToInteger(Float80 x, int size, bool truncate, ref X87Rounding r)
    {
        r.RoundedUp = false;
        ulong indefinite = 1UL << (size * 8 - 1);
        if (x.IsUnsupported || x.IsNaN || x.IsInfinity)
        {
            r.Flags |= X87Rounding.IE;
            return indefinite;
        }
        var attempt = r;
        var magnitude = Float80Arithmetic.RoundToIntegerMagnitude(x, truncate ? X87Rounding.TowardZero : r.Mode, ref attempt);
        UInt128 limit = x.Sign ? (UInt128)indefinite : (UInt128)(indefinite - 1);
        if (magnitude is not UInt128 m || m > limit)
        {
            r.Flags |= X87Rounding.IE;
            return indefinite;
        }
        r = attempt;
        ulong v = (ulong)m;
        return x.Sign ? (ulong)-(long)v & X86Cpu.Mask(size) : v;
    }

    /// <summary>FBLD: 18 packed BCD digits (low digit first) and a sign in bit 7 of byte 9; exact.</summary>
    public static Float80 FromBcd(ReadOnlySpan<byte> bcd)
    {
        long v = 0;
        for (int k = 8; k >= 0; k--)
        {
            v = v * 100 + (bcd[k] >> 4) * 10 + (bcd[k] & 0xF);
        }
        bool negative = (bcd[9] & 0x80) != 0;
        return v == 0 ? Float80.Zero(negative) : FromInteger(negative ? -v : v);
    }

    /// <summary>FBSTP: rounds with the FCW mode; beyond 18 digits (or NaN/infinity) the BCD indefinite FFFF C000 0000 0000 0000.</summary>
    public static void ToBcd(Float80 x, Span<byte> bcd, ref X87Rounding r)
    {
        r.RoundedUp = false;
        bcd[..10].Clear();
        UInt128? magnitude = null;
        var attempt = r;
        if (!x.IsUnsupported && !x.IsNaN && !x.IsInfinity)
        {
            magnitude = Float80Arithmetic.RoundToIntegerMagnitude(x, r.Mode, ref attempt);
        }
        if (magnitude is not UInt128 m || m >= 1_000_000_000_000_000_000)
        {
            r.Flags |= X87Rounding.IE;
            bcd[7] = 0xC0;
            bcd[8] = 0xFF;
            bcd[9] = 0xFF;
            return;
        }
        r = attempt;
        ulong v = (ulong)m;
        for (int k = 0; k < 9; k++)
        {
            bcd[k] = (byte)((v % 10) | ((v / 10 % 10) << 4));
            v /= 100;
        }
        bcd[9] = (byte)(x.Sign ? 0x80 : 0);
    }

    /// <summary>The nearest binary64 value, for the transcendentals that go through the host's libm.</summary>
    public static double ToHostDouble(Float80 x)
    {
        var r = new X87Rounding(53, X87Rounding.Nearest);
        return BitConverter.UInt64BitsToDouble(ToDouble(x, ref r));
    }

    public static Float80 FromHostDouble(double d)
    {
        var r = new X87Rounding(64, X87Rounding.Nearest);
        return FromDouble(BitConverter.DoubleToUInt64Bits(d), ref r);
    }
}
