using System.Numerics;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// Correctly rounded x87 arithmetic on <see cref="Float80"/>: every operation computes the exact
/// result (or enough bits of it plus a sticky bit) in 128 bits and rounds once, in
/// <see cref="Round"/>, to the precision and rounding mode the FCW asks for. Special operands
/// follow the SDM (vol. 1, 4.8 and 8.5) the way Intel's hardware and Bochs' SoftFloat-derived
/// FPU do: unsupported encodings and SNaNs raise IE, NaNs propagate the larger significand,
/// invalid operations return the indefinite QNaN, tininess is detected after rounding.
/// </summary>
internal static class Float80Arithmetic
{
    private const int EMin = 1 - Float80.Bias, EMax = Float80.Bias;

    /// <summary>A finite non-zero value as sign, unbiased exponent of bit 127, and a significand with bit 127 set.</summary>
    internal readonly record struct Unpacked(bool Sign, int Exp, UInt128 Sig);

    public static Unpacked Unpack(Float80 x)
    {
        int e = x.Exponent == 0 ? EMin : x.Exponent - Float80.Bias;
        ulong s = x.Significand;
        int lz = BitOperations.LeadingZeroCount(s);
        return new Unpacked(x.Sign, e - lz, (UInt128)(s << lz) << 64);
    }

    /// <summary>Rounds and packs an exact-or-sticky result into the 80-bit format (exponent range 15 bits).</summary>
    public static Float80 Pack(bool sign, int exp, UInt128 sig, ref X87Rounding r)
    {
        var (biased, s) = Round(sign, exp, sig, r.Precision, EMin, EMax, Float80.Bias, ref r);
        return new Float80((ushort)(biased | (sign ? 0x8000 : 0)), (ulong)(s >> 64));
    }

    /// <summary>
    /// The one rounding step. <paramref name="sig"/> has its integer bit at 127 (or is zero); the
    /// value is sig × 2^(exp − 127). Returns the biased exponent (0 for denormals and zero, the
    /// all-ones exponent for infinity) and the rounded significand aligned at bit 127, for a format
    /// with <paramref name="precision"/> significand bits and normal exponents emin..emax.
    /// </summary>
    public static (int Biased, UInt128 Sig) Round(bool sign, int exp, UInt128 sig, int precision, int emin, int emax, int bias, ref X87Rounding r)
    {
        r.RoundedUp = false;
        if (sig == 0)
        {
            return (0, 0);
        }
        UInt128 mask = (UInt128.One << (128 - precision)) - 1;
        UInt128 half = UInt128.One << (127 - precision);
        bool nearest = r.Mode == X87Rounding.Nearest;
        UInt128 increment = r.Mode switch
        {
            X87Rounding.Nearest => half,
            X87Rounding.TowardZero => UInt128.Zero,
            X87Rounding.Down => sign ? mask : UInt128.Zero,
            _ => sign ? UInt128.Zero : mask,
        };
        if (exp < emin)
        {
            // Tiny after rounding: still below the smallest normal once rounded with an unbounded exponent.
            bool tiny = exp < emin - 1 || sig + increment >= sig;
            sig = ShiftRightJamming(sig, emin - exp);
            UInt128 bits = sig & mask, truncated = sig & ~mask;
            if (bits != 0) { r.Flags |= X87Rounding.PE; }
            if (tiny && (bits != 0 || r.UnderflowUnmasked)) { r.Flags |= X87Rounding.UE; }
            sig += increment;
            sig &= ~(nearest && bits == half ? mask | (mask + 1) : mask);
            r.RoundedUp = sig != truncated;
            return ((sig >> 127) != 0 ? emin + bias : 0, sig);
        }
        UInt128 roundBits = sig & mask, kept = sig & ~mask;
        if (roundBits != 0) { r.Flags |= X87Rounding.PE; }
        UInt128 sum = sig + increment;
        if (sum < sig)
        {
            exp++;
            sum = UInt128.One << 127;
        }
        else
        {
            sum &= ~(nearest && roundBits == half ? mask | (mask + 1) : mask);
        }
        r.RoundedUp = sum != kept;
        if (exp > emax)
        {
            r.Flags |= X87Rounding.OE | X87Rounding.PE;
            bool toLargest = r.Mode == X87Rounding.TowardZero || (r.Mode == X87Rounding.Down && !sign) || (r.Mode == X87Rounding.Up && sign);
            r.RoundedUp = !toLargest;
            return toLargest ? (emax + bias, ~mask) : (emax + bias + 1, UInt128.One << 127);
        }
        return (exp + bias, sum);
    }

    internal static UInt128 ShiftRightJamming(UInt128 x, int n)
    {
        if (n <= 0) { return x; }
        if (n >= 128) { return x != 0 ? UInt128.One : UInt128.Zero; }
        return (x >> n) | ((x << (128 - n)) != 0 ? UInt128.One : UInt128.Zero);
    }

    private static Float80 Invalid(ref X87Rounding r)
    {
        r.Flags |= X87Rounding.IE;
        return Float80.Indefinite;
    }

    /// <summary>
    /// NaN operand rules of SDM vol. 1, table 4-7 (x87 column): an SNaN paired with a QNaN gives
    /// the QNaN; two of a kind give the one with the larger significand (the positive one on a tie).
    /// </summary>
    public static Float80 PropagateNaN(Float80 a, Float80 b, ref X87Rounding r)
    {
        bool aNaN = a.IsNaN, bNaN = b.IsNaN, aSignaling = a.IsSignalingNaN, bSignaling = b.IsSignalingNaN;
        if (aSignaling || bSignaling) { r.Flags |= X87Rounding.IE; }
        Float80 qa = a.Quiet(), qb = b.Quiet();
        if (aSignaling)
        {
            if (!bSignaling) { return bNaN ? qb : qa; }
        }
        else if (aNaN)
        {
            if (bSignaling || !bNaN) { return qa; }
        }
        else
        {
            return qb;
        }
        if (qa.Significand != qb.Significand) { return qa.Significand > qb.Significand ? qa : qb; }
        return qa.SignExp < qb.SignExp ? qa : qb;
    }

    public static Float80 PropagateNaN(Float80 a, ref X87Rounding r)
    {
        if (a.IsSignalingNaN) { r.Flags |= X87Rounding.IE; }
        return a.Quiet();
    }

    private static void Denormal(Float80 x, ref X87Rounding r)
    {
        if (x.IsDenormal) { r.Flags |= X87Rounding.DE; }
    }

    public static Float80 Add(Float80 a, Float80 b, ref X87Rounding r) => AddSigned(a, b, false, ref r);

    public static Float80 Sub(Float80 a, Float80 b, ref X87Rounding r) => AddSigned(a, b, true, ref r);

    private static Float80 AddSigned(Float80 a, Float80 b, bool subtract, ref X87Rounding r)
    {
        r.RoundedUp = false;
        if (a.IsUnsupported || b.IsUnsupported) { return Invalid(ref r); }
        if (a.IsNaN || b.IsNaN) { return PropagateNaN(a, b, ref r); }
        bool bSign = b.Sign ^ subtract;
        if (a.IsInfinity)
        {
            if (b.IsInfinity && a.Sign != bSign) { return Invalid(ref r); }
            Denormal(b, ref r);
            return a;
        }
        if (b.IsInfinity)
        {
            Denormal(a, ref r);
            return b.WithSign(bSign);
        }
        Denormal(a, ref r);
        Denormal(b, ref r);
        if (a.IsZero && b.IsZero)
        {
            return Float80.Zero(a.Sign == bSign ? a.Sign : r.Mode == X87Rounding.Down);
        }
        if (a.IsZero)
        {
            var ub = Unpack(b);
            return Pack(bSign, ub.Exp, ub.Sig, ref r);
        }
        if (b.IsZero)
        {
            var ua = Unpack(a);
            return Pack(a.Sign, ua.Exp, ua.Sig, ref r);
        }
        var x = Unpack(a);
        var y = Unpack(b) with { Sign = bSign };
        if (x.Exp < y.Exp || (x.Exp == y.Exp && x.Sig < y.Sig))
        {
            (x, y) = (y, x);
        }
        // One spare bit on top for the carry of an addition; the low 63 bits are guard bits.
        UInt128 xs = x.Sig >> 1, ys = ShiftRightJamming(y.Sig >> 1, x.Exp - y.Exp);
        int exp = x.Exp + 1;
        UInt128 s;
        if (x.Sign == y.Sign)
        {
            s = xs + ys;
        }
        else
        {
            s = xs - ys;
            if (s == 0)
            {
                return Float80.Zero(r.Mode == X87Rounding.Down);
            }
        }
        int lz = (int)UInt128.LeadingZeroCount(s);
        return Pack(x.Sign, exp - lz, s << lz, ref r);
    }

    public static Float80 Mul(Float80 a, Float80 b, ref X87Rounding r)
    {
        r.RoundedUp = false;
        if (a.IsUnsupported || b.IsUnsupported) { return Invalid(ref r); }
        if (a.IsNaN || b.IsNaN) { return PropagateNaN(a, b, ref r); }
        bool sign = a.Sign ^ b.Sign;
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsZero || b.IsZero) { return Invalid(ref r); }
            Denormal(a, ref r);
            Denormal(b, ref r);
            return Float80.Infinity(sign);
        }
        Denormal(a, ref r);
        Denormal(b, ref r);
        if (a.IsZero || b.IsZero) { return Float80.Zero(sign); }
        var x = Unpack(a);
        var y = Unpack(b);
        UInt128 p = (UInt128)(ulong)(x.Sig >> 64) * (ulong)(y.Sig >> 64);
        int exp = x.Exp + y.Exp + 1;
        if ((p >> 127) == 0)
        {
            p <<= 1;
            exp--;
        }
        return Pack(sign, exp, p, ref r);
    }

    public static Float80 Div(Float80 a, Float80 b, ref X87Rounding r)
    {
        r.RoundedUp = false;
        if (a.IsUnsupported || b.IsUnsupported) { return Invalid(ref r); }
        if (a.IsNaN || b.IsNaN) { return PropagateNaN(a, b, ref r); }
        bool sign = a.Sign ^ b.Sign;
        if (a.IsInfinity)
        {
            if (b.IsInfinity) { return Invalid(ref r); }
            Denormal(b, ref r);
            return Float80.Infinity(sign);
        }
        if (b.IsInfinity)
        {
            Denormal(a, ref r);
            return Float80.Zero(sign);
        }
        if (b.IsZero)
        {
            // A denormal dividend raises only ZE here (measured).
            if (a.IsZero) { return Invalid(ref r); }
            r.Flags |= X87Rounding.ZE;
            return Float80.Infinity(sign);
        }
        Denormal(a, ref r);
        Denormal(b, ref r);
        if (a.IsZero) { return Float80.Zero(sign); }
        var x = Unpack(a);
        var y = Unpack(b);
        // Restoring division: 128 quotient bits of A/B (A, B in [2^63, 2^64)), then a sticky bit.
        UInt128 rem = x.Sig >> 64, d = y.Sig >> 64, q = 0;
        for (int k = 0; k < 128; k++)
        {
            q <<= 1;
            if (rem >= d)
            {
                rem -= d;
                q |= 1;
            }
            rem <<= 1;
        }
        int exp = x.Exp - y.Exp;
        if ((q >> 127) == 0)
        {
            q <<= 1;
            exp--;
        }
        if (rem != 0) { q |= 1; }
        return Pack(sign, exp, q, ref r);
    }

    public static Float80 Sqrt(Float80 a, ref X87Rounding r)
    {
        r.RoundedUp = false;
        if (a.IsUnsupported) { return Invalid(ref r); }
        if (a.IsNaN) { return PropagateNaN(a, ref r); }
        if (a.IsZero) { return a; }
        if (a.Sign) { return Invalid(ref r); }
        if (a.IsInfinity) { return a; }
        Denormal(a, ref r);
        var x = Unpack(a);
        // value = A × 2^E with A the 64-bit significand; make E even so the root is A'^½ × 2^(E/2).
        UInt128 radicand = x.Sig >> 64;
        int e = x.Exp - 63;
        if ((e & 1) != 0)
        {
            radicand <<= 1;
            e--;
        }
        // Digit-by-digit square root over radicand × 4^35: a 68-bit root and an exact remainder.
        UInt128 rem = 0, root = 0;
        for (int k = 0; k < 68; k++)
        {
            int shift = 64 - 2 * k;
            UInt128 pair = shift >= 0 ? (radicand >> shift) & 3 : UInt128.Zero;
            rem = (rem << 2) | pair;
            UInt128 trial = (root << 2) | 1;
            root <<= 1;
            if (rem >= trial)
            {
                rem -= trial;
                root |= 1;
            }
        }
        int lz = (int)UInt128.LeadingZeroCount(root);
        UInt128 sig = root << lz;
        if (rem != 0) { sig |= 1; }
        int exp = (127 - lz) + e / 2 - 35;
        return Pack(false, exp, sig, ref r);
    }

    /// <summary>Ordering for FCOM and friends: -1, 0, 1, or 2 for unordered. Signals IE on SNaN (and on QNaN when <paramref name="quietNaNInvalid"/>).</summary>
    public static int Compare(Float80 a, Float80 b, bool quietNaNInvalid, ref X87Rounding r)
    {
        if (a.IsUnsupported || b.IsUnsupported)
        {
            r.Flags |= X87Rounding.IE;
            return 2;
        }
        if (a.IsNaN || b.IsNaN)
        {
            if (quietNaNInvalid || a.IsSignalingNaN || b.IsSignalingNaN) { r.Flags |= X87Rounding.IE; }
            return 2;
        }
        Denormal(a, ref r);
        Denormal(b, ref r);
        if (a.IsZero && b.IsZero) { return 0; }
        if (a.Sign != b.Sign) { return a.Sign ? -1 : 1; }
        int magnitude = CompareMagnitude(a, b);
        return a.Sign ? -magnitude : magnitude;
    }

    private static int CompareMagnitude(Float80 a, Float80 b)
    {
        if (a.IsInfinity || b.IsInfinity) { return a.IsInfinity && b.IsInfinity ? 0 : a.IsInfinity ? 1 : -1; }
        if (a.IsZero) { return -1; }
        if (b.IsZero) { return 1; }
        var x = Unpack(a);
        var y = Unpack(b);
        if (x.Exp != y.Exp) { return x.Exp < y.Exp ? -1 : 1; }
        return x.Sig.CompareTo(y.Sig);
    }

    /// <summary>
    /// The magnitude of <paramref name="a"/> (finite) rounded to an integer with the FCW rounding
    /// mode; PE and C1 as the SDM says. Values of 2^64 and above come back as null.
    /// </summary>
    public static UInt128? RoundToIntegerMagnitude(Float80 a, int mode, ref X87Rounding r)
    {
        r.RoundedUp = false;
        if (a.IsZero) { return 0; }
        var x = Unpack(a);
        if (x.Exp >= 64) { return null; }
        UInt128 sig = x.Sig;
        int fracBits = 127 - x.Exp;
        if (fracBits > 128)
        {
            // Below one half: only the fraction's being non-zero matters.
            return RoundInteger(a.Sign, 0, UInt128.One, 128, mode, ref r, belowHalf: true);
        }
        UInt128 integer = fracBits == 128 ? 0 : sig >> fracBits;
        UInt128 frac = fracBits == 128 ? sig : fracBits == 0 ? 0 : sig & ((UInt128.One << fracBits) - 1);
        return RoundInteger(a.Sign, integer, frac, fracBits, mode, ref r, belowHalf: false);
    }

    private static UInt128 RoundInteger(bool sign, UInt128 integer, UInt128 frac, int fracBits, int mode, ref X87Rounding r, bool belowHalf)
    {
        if (frac == 0) { return integer; }
        r.Flags |= X87Rounding.PE;
        bool up;
        if (mode == X87Rounding.Nearest)
        {
            if (belowHalf) { up = false; }
            else
            {
                UInt128 half = UInt128.One << (fracBits - 1);
                up = frac > half || (frac == half && (integer & 1) != 0);
            }
        }
        else
        {
            up = mode == X87Rounding.Up ? !sign : mode == X87Rounding.Down && sign;
        }
        r.RoundedUp = up;
        return up ? integer + 1 : integer;
    }

    /// <summary>FRNDINT: rounds to an integral value in the 80-bit format.</summary>
    public static Float80 RoundToIntegral(Float80 a, ref X87Rounding r)
    {
        r.RoundedUp = false;
        if (a.IsUnsupported) { return Invalid(ref r); }
        if (a.IsNaN) { return PropagateNaN(a, ref r); }
        if (a.IsInfinity || a.IsZero) { return a; }
        Denormal(a, ref r);
        var magnitude = RoundToIntegerMagnitude(a, r.Mode, ref r);
        if (magnitude is not UInt128 m) { return a; }
        if (m == 0) { return Float80.Zero(a.Sign); }
        int lz = (int)UInt128.LeadingZeroCount(m);
        var exact = new X87Rounding(64, X87Rounding.Nearest);
        var result = Pack(a.Sign, 127 - lz, m << lz, ref exact);
        return result;
    }

    /// <summary>FSCALE: ST0 × 2^trunc(ST1), rounded once.</summary>
    public static Float80 Scale(Float80 a, Float80 b, ref X87Rounding r)
    {
        r.RoundedUp = false;
        if (a.IsUnsupported || b.IsUnsupported) { return Invalid(ref r); }
        if (a.IsNaN || b.IsNaN) { return PropagateNaN(a, b, ref r); }
        if (b.IsInfinity)
        {
            Denormal(a, ref r);
            if (b.Sign)
            {
                if (a.IsInfinity) { return Invalid(ref r); }
                return Float80.Zero(a.Sign);
            }
            if (a.IsZero) { return Invalid(ref r); }
            return Float80.Infinity(a.Sign);
        }
        Denormal(a, ref r);
        Denormal(b, ref r);
        if (a.IsInfinity || a.IsZero) { return a; }
        int n;
        var y = b.IsZero ? default : Unpack(b);
        if (b.IsZero || y.Exp < 0) { n = 0; }
        else if (y.Exp >= 30) { n = b.Sign ? -(1 << 30) : 1 << 30; }
        else
        {
            n = (int)(y.Sig >> (127 - y.Exp));
            if (b.Sign) { n = -n; }
        }
        var x = Unpack(a);
        return Pack(a.Sign, x.Exp + n, x.Sig, ref r);
    }

    /// <summary>
    /// FPREM (truncating quotient) and FPREM1 (IEEE, nearest-even quotient). Returns the partial
    /// remainder, the low three quotient bits, and whether the reduction is complete (FSW.C2 = 0).
    /// An exponent difference of 64 or more reduces by a multiple of 32 per step, leaving
    /// 32..63 for the next one (the "implementation-dependent N" of the SDM).
    /// </summary>
    public static (Float80 Result, int Quotient, bool Complete) Remainder(Float80 a, Float80 b, bool ieee, ref X87Rounding r)
    {
        r.RoundedUp = false;
        if (a.IsUnsupported || b.IsUnsupported) { return (Invalid(ref r), 0, true); }
        if (a.IsNaN || b.IsNaN) { return (PropagateNaN(a, b, ref r), 0, true); }
        if (a.IsInfinity || b.IsZero) { return (Invalid(ref r), 0, true); }
        Denormal(a, ref r);
        Denormal(b, ref r);
        if (b.IsInfinity || a.IsZero) { return (a, 0, true); }
        var x = Unpack(a);
        var y = Unpack(b);
        int diff = x.Exp - y.Exp;
        ulong ma = (ulong)(x.Sig >> 64), mb = (ulong)(y.Sig >> 64);
        if (diff < -1 || (diff < 0 && !ieee))
        {
            // ST0 comes back unchanged in value, but in normal form (a pseudo-denormal gets exponent 1; measured).
            return (Normalize(a.Sign, x.Exp, x.Sig >> 64, ref r), 0, true);
        }
        bool complete = diff < 64;
        int shift = complete ? diff : 32 + diff % 32;
        int bExp = y.Exp + (complete ? 0 : diff - shift);
        if (shift < 0)
        {
            // |a| < |b|: the nearest quotient is 1 only when |a| > |b|/2.
            // FPREM1 with |b|/2 <= |a| < |b| (a one below b's exponent): quotient 1 when |a| > |b|/2.
            if (ma > mb)
            {
                return (Normalize(!a.Sign, x.Exp, ((UInt128)mb << 1) - ma, ref r), 1, true);
            }
            return (Normalize(a.Sign, x.Exp, x.Sig >> 64, ref r), 0, true);
        }
        UInt128 numerator = (UInt128)ma << shift;
        UInt128 q = numerator / mb, rem = numerator % mb;
        bool sign = a.Sign;
        if (ieee && complete)
        {
            UInt128 twice = rem << 1;
            if (twice > mb || (twice == mb && (q & 1) != 0))
            {
                rem = mb - rem;
                q++;
                sign = !sign;
            }
        }
        int quotientBits = (int)(q & 7);
        if (rem == 0) { return (Float80.Zero(a.Sign), quotientBits, complete); }
        return (Normalize(sign, bExp, rem, ref r), quotientBits, complete);
    }

    /// <summary>An exact value <paramref name="m"/> × 2^(exp − 63) (m below 2^65) in the 80-bit format.</summary>
    private static Float80 Normalize(bool sign, int exp, UInt128 m, ref X87Rounding r)
    {
        int lz = (int)UInt128.LeadingZeroCount(m);
        var exact = new X87Rounding(64, X87Rounding.Nearest, r.UnderflowUnmasked);
        var result = Pack(sign, exp + (64 - lz), m << lz, ref exact);
        r.Flags |= exact.Flags & X87Rounding.UE;
        return result;
    }
}
