using System.Numerics;
using System.Runtime.CompilerServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// SSE/SSE2 floating point: arithmetic, MIN/MAX, compares, COMIS/UCOMIS and conversions, with
/// the MXCSR exception flags and rounding control. .NET arithmetic rounds to nearest; the exact
/// residual of each operation (TwoSum, FMA, or a double-precision product for singles) gives
/// the direction of the rounding error, which sets PE and steps the result one ulp for the
/// directed rounding modes. NaN results follow the SSE rule (the first operand's NaN wins, made
/// quiet; invalid operations give the negative "real indefinite" QNaN).
/// </summary>
public sealed partial class X86Cpu
{
    // MXCSR flag bits (SDM vol. 1, 10.2.3); each mask bit is its flag shifted left by 7.
    private const uint MxIE = 1, MxDE = 2, MxZE = 4, MxOE = 8, MxUE = 0x10, MxPE = 0x20, MxDaz = 0x40, MxFz = 0x8000;
    private const uint IndefiniteInt32 = 0x80000000;
    private const ulong IndefiniteInt64 = 0x8000000000000000;

    /// <summary>Exception flags raised by the instruction executing now; committed by <see cref="CommitSseFlags"/>.</summary>
    private uint sseRaised;

    private int RoundingControl => (int)((Mxcsr >> 13) & 3);

    private void ExecuteSseFloat(ref Insn i, SseOp op)
    {
        sseRaised = 0;
        ref XmmRegister dst = ref Xmm[i.Reg];
        switch (op)
        {
            case SseOp.Comis:
            case SseOp.Ucomis:
                {
                    XmmRegister b = ReadXmmOperand(ref i);
                    int rel = i.Simd == SimdForm.PackedDouble
                        ? CompareOrdered(dst.As<double>()[0], b.As<double>()[0], op == SseOp.Comis)
                        : CompareOrdered(dst.As<float>()[0], b.As<float>()[0], op == SseOp.Comis);
                    CommitSseFlags();
                    // Unordered: ZF PF CF = 111, less: CF, equal: ZF, greater: none; OF SF AF cleared.
                    uint flags = rel switch { 2 => ZF | PF | CF, -1 => CF, 0 => ZF, _ => 0u };
                    SetArith(ArithFlags, flags);
                    return;
                }
            case SseOp.Cvtsi2ss:
            case SseOp.Cvtsi2sd:
                {
                    long v = SignExtend(ReadRm(ref i), i.OpSize);
                    XmmRegister r = dst;
                    if (op == SseOp.Cvtsi2ss) { r.As<float>()[0] = FromInteger<float>(v); }
                    else { r.As<double>()[0] = FromInteger<double>(v); }
                    CommitSseFlags();
                    dst = r;
                    return;
                }
            case SseOp.Cvtss2si: case SseOp.Cvttss2si: case SseOp.Cvtsd2si: case SseOp.Cvttsd2si:
                {
                    XmmRegister b = ReadXmmOperand(ref i);
                    bool truncate = op is SseOp.Cvttss2si or SseOp.Cvttsd2si;
                    int size = i.Simd;
                    ulong v = op is SseOp.Cvtss2si or SseOp.Cvttss2si
                        ? ToInteger(b.As<float>()[0], size, truncate)
                        : ToInteger(b.As<double>()[0], size, truncate);
                    CommitSseFlags();
                    SetReg(i.Reg, size, v);
                    return;
                }
        }
        XmmRegister src = ReadXmmOperand(ref i);
        XmmRegister res = dst;
        switch (op)
        {
            case SseOp.FAdd: case SseOp.FSub: case SseOp.FMul: case SseOp.FDiv:
            case SseOp.FMin: case SseOp.FMax: case SseOp.FSqrt: case SseOp.FCmp:
                {
                    int imm = (int)i.Imm & 7;
                    switch (i.Simd)
                    {
                        case SimdForm.PackedSingle:
                            for (int k = 0; k < 4; k++) { res.As<float>()[k] = Arith(op, res.As<float>()[k], src.As<float>()[k], imm); }
                            break;
                        case SimdForm.PackedDouble:
                            for (int k = 0; k < 2; k++) { res.As<double>()[k] = Arith(op, res.As<double>()[k], src.As<double>()[k], imm); }
                            break;
                        case SimdForm.ScalarSingle:
                            res.As<float>()[0] = Arith(op, res.As<float>()[0], src.As<float>()[0], imm);
                            break;
                        default:
                            res.As<double>()[0] = Arith(op, res.As<double>()[0], src.As<double>()[0], imm);
                            break;
                    }
                    break;
                }
            case SseOp.Cvtss2sd:
                res.As<double>()[0] = Widen(src.As<float>()[0]);
                break;
            case SseOp.Cvtsd2ss:
                res.As<float>()[0] = Narrow(src.As<double>()[0]);
                break;
            case SseOp.Cvtps2pd:
                res = default;
                res.As<double>()[0] = Widen(src.As<float>()[0]);
                res.As<double>()[1] = Widen(src.As<float>()[1]);
                break;
            case SseOp.Cvtpd2ps:
                res = default;
                res.As<float>()[0] = Narrow(src.As<double>()[0]);
                res.As<float>()[1] = Narrow(src.As<double>()[1]);
                break;
            case SseOp.Cvtdq2ps:
                for (int k = 0; k < 4; k++) { res.As<float>()[k] = FromInteger<float>(src.As<int>()[k]); }
                break;
            case SseOp.Cvtdq2pd:
                res = default;
                res.As<double>()[0] = src.As<int>()[0];
                res.As<double>()[1] = src.As<int>()[1];
                break;
            case SseOp.Cvtps2dq:
            case SseOp.Cvttps2dq:
                for (int k = 0; k < 4; k++) { res.As<uint>()[k] = (uint)ToInteger(src.As<float>()[k], 4, op == SseOp.Cvttps2dq); }
                break;
            case SseOp.Cvtpd2dq:
            case SseOp.Cvttpd2dq:
                res = default;
                for (int k = 0; k < 2; k++) { res.As<uint>()[k] = (uint)ToInteger(src.As<double>()[k], 4, op == SseOp.Cvttpd2dq); }
                break;
            default:
                throw new GuestFault(Vectors.UD);
        }
        CommitSseFlags();
        dst = res;
    }

    /// <summary>
    /// Adds the instruction's flags to MXCSR; an unmasked one raises #XM (CR4.OSXMMEXCPT) or #UD
    /// before the destination is written.
    /// </summary>
    private void CommitSseFlags()
    {
        uint raised = sseRaised;
        if (raised == 0) { return; }
        Mxcsr |= raised;
        if ((raised & ~(Mxcsr >> 7) & 0x3F) != 0)
        {
            throw new GuestFault((Cr4 & 0x400) != 0 ? Vectors.XM : Vectors.UD);
        }
    }

    // ---- element helpers, generic over float and double ----

    private static bool IsSingle<T>() => typeof(T) == typeof(float);

    private static ulong Bits<T>(T v) where T : unmanaged =>
        IsSingle<T>() ? BitConverter.SingleToUInt32Bits(Unsafe.As<T, float>(ref v)) : BitConverter.DoubleToUInt64Bits(Unsafe.As<T, double>(ref v));

    private static T FromBits<T>(ulong bits) where T : unmanaged
    {
        if (IsSingle<T>())
        {
            float f = BitConverter.UInt32BitsToSingle((uint)bits);
            return Unsafe.As<float, T>(ref f);
        }
        double d = BitConverter.UInt64BitsToDouble(bits);
        return Unsafe.As<double, T>(ref d);
    }

    private static ulong QuietBit<T>() => IsSingle<T>() ? 0x400000UL : 0x8000000000000UL;

    private static bool IsSignaling<T>(T v) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        T.IsNaN(v) && (Bits(v) & QuietBit<T>()) == 0;

    private static T Quiet<T>(T v) where T : unmanaged => FromBits<T>(Bits(v) | QuietBit<T>());

    /// <summary>The "real indefinite" QNaN an invalid operation returns.</summary>
    private static T Indefinite<T>() where T : unmanaged => FromBits<T>(IsSingle<T>() ? 0xFFC00000UL : 0xFFF8000000000000UL);

    /// <summary>MXCSR.DAZ: a denormal operand reads as a zero of its sign.</summary>
    private T Daz<T>(T v) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        (Mxcsr & MxDaz) != 0 && T.IsSubnormal(v) ? (T.IsNegative(v) ? T.NegativeZero : T.Zero) : v;

    /// <summary>
    /// DE for denormal operands. Checked only once no NaN, invalid operation or division by zero
    /// was found: those take precedence (SDM vol. 1, 11.5.2), and the hardware then leaves DE clear.
    /// </summary>
    private void NoteDenormals<T>(T a, T b) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (T.IsSubnormal(a) || T.IsSubnormal(b))
        {
            sseRaised |= MxDE;
        }
    }

    private T Arith<T>(SseOp op, T a, T b, int predicate) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (op == SseOp.FSqrt)
        {
            return Sqrt(b);
        }
        a = Daz(a);
        b = Daz(b);
        if (T.IsNaN(a) || T.IsNaN(b))
        {
            bool signaling = IsSignaling(a) || IsSignaling(b);
            switch (op)
            {
                case SseOp.FMin:
                case SseOp.FMax:
                    sseRaised |= MxIE;
                    return b;
                case SseOp.FCmp:
                    // EQ, UNORD, NEQ, ORD are quiet; LT, LE, NLT, NLE signal on any NaN.
                    if (signaling || (predicate & 3) is 1 or 2) { sseRaised |= MxIE; }
                    return FromBits<T>(predicate is >= 3 and <= 6 ? ~0UL : 0);
            }
            if (signaling) { sseRaised |= MxIE; }
            return T.IsNaN(a) ? Quiet(a) : Quiet(b);
        }
        switch (op)
        {
            case SseOp.FMin:
                NoteDenormals(a, b);
                return a < b ? a : b;
            case SseOp.FMax:
                NoteDenormals(a, b);
                return a > b ? a : b;
            case SseOp.FCmp:
                {
                    NoteDenormals(a, b);
                    bool r = (predicate & 3) switch { 0 => a == b, 1 => a < b, 2 => a <= b, _ => false };
                    if (predicate >= 4) { r = !r; }
                    return FromBits<T>(r ? ~0UL : 0);
                }
        }
        bool infA = T.IsInfinity(a), infB = T.IsInfinity(b);
        T result;
        switch (op)
        {
            case SseOp.FAdd:
            case SseOp.FSub:
                if (op == SseOp.FSub) { b = -b; }
                if (infA && infB && T.IsNegative(a) != T.IsNegative(b)) { return Invalid<T>(); }
                NoteDenormals(a, b);
                result = a + b;
                if (T.IsZero(result) && RoundingControl == 1 && !(T.IsZero(a) && T.IsZero(b) && T.IsPositive(a) && T.IsPositive(b)))
                {
                    // An exact zero sum is -0 when rounding down, unless both addends are +0 (IEEE 754 6.3).
                    result = T.NegativeZero;
                }
                break;
            case SseOp.FMul:
                if ((infA && T.IsZero(b)) || (infB && T.IsZero(a))) { return Invalid<T>(); }
                NoteDenormals(a, b);
                result = a * b;
                break;
            default:
                if ((infA && infB) || (T.IsZero(a) && T.IsZero(b))) { return Invalid<T>(); }
                if (T.IsZero(b) && !infA)
                {
                    sseRaised |= MxZE;
                    return T.IsNegative(a) != T.IsNegative(b) ? T.NegativeInfinity : T.PositiveInfinity;
                }
                NoteDenormals(a, b);
                result = a / b;
                break;
        }
        if (infA || infB)
        {
            return result;
        }
        if (T.IsInfinity(result))
        {
            return Round(result, 0, true);
        }
        int err = op switch
        {
            SseOp.FAdd or SseOp.FSub => SumError(a, b, result),
            SseOp.FMul => ProductError(a, b, result),
            _ => QuotientError(a, b, result),
        };
        return Round(result, err, false);
    }

    private T Sqrt<T>(T b) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        b = Daz(b);
        if (T.IsNaN(b))
        {
            if (IsSignaling(b)) { sseRaised |= MxIE; }
            return Quiet(b);
        }
        if (T.IsNegative(b) && !T.IsZero(b)) { return Invalid<T>(); }
        NoteDenormals(b, T.Zero);
        if (T.IsInfinity(b) || T.IsZero(b)) { return b; }
        T r = T.Sqrt(b);
        return Round(r, SqrtError(b, r), false);
    }

    private T Invalid<T>() where T : unmanaged
    {
        sseRaised |= MxIE;
        return Indefinite<T>();
    }

    /// <summary>
    /// Turns the round-to-nearest <paramref name="r"/> into the MXCSR.RC result, given the sign of
    /// (exact - r); sets PE, OE (<paramref name="overflow"/>: finite operands, infinite result),
    /// UE (tiny and inexact, tininess after rounding) and applies FTZ (tiny results become zero
    /// with UE and PE when underflow is masked).
    /// </summary>
    private T Round<T>(T r, int err, bool overflow) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (overflow)
        {
            sseRaised |= MxOE;
            err = T.IsNegative(r) ? 1 : -1;
        }
        if (err != 0)
        {
            sseRaised |= MxPE;
            switch (RoundingControl)
            {
                case 1: if (err < 0) { r = T.BitDecrement(r); } break;
                case 2: if (err > 0) { r = T.BitIncrement(r); } break;
                case 3:
                    if (T.IsPositive(r) && err < 0) { r = T.BitDecrement(r); }
                    else if (T.IsNegative(r) && err > 0) { r = T.BitIncrement(r); }
                    break;
            }
            if (T.IsInfinity(r) && !overflow)
            {
                // Rounding away from the largest finite value: an overflow only the directed modes see.
                sseRaised |= MxOE;
            }
        }
        if (T.Abs(r) < MinNormal<T>() && (!T.IsZero(r) || err != 0))
        {
            if ((Mxcsr & MxFz) != 0 && (Mxcsr & (MxUE << 7)) != 0)
            {
                sseRaised |= MxUE | MxPE;
                return T.IsNegative(r) ? T.NegativeZero : T.Zero;
            }
            if (err != 0) { sseRaised |= MxUE; }
        }
        return r;
    }

    private static T MinNormal<T>() where T : unmanaged => FromBits<T>(IsSingle<T>() ? 0x00800000UL : 0x0010000000000000UL);

    // ---- the sign of (exact - rounded) for each operation ----

    private static int SumError<T>(T a, T b, T r) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (IsSingle<T>())
        {
            double x = double.CreateTruncating(a), y = double.CreateTruncating(b), s = x + y;
            return Math.Sign((s - double.CreateTruncating(r)) + TwoSumError(x, y, s));
        }
        return T.Sign(TwoSumError(a, b, r));
    }

    /// <summary>Knuth's TwoSum: the exact error of s = x + y (no overflow).</summary>
    private static T TwoSumError<T>(T x, T y, T s) where T : IBinaryFloatingPointIeee754<T>
    {
        T bv = s - x;
        T av = s - bv;
        return (x - av) + (y - bv);
    }

    private static readonly double Scale = Math.ScaleB(1.0, 200), Tiny = Math.ScaleB(1.0, -900);

    private static int ProductError<T>(T a, T b, T r) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (IsSingle<T>())
        {
            // A product of two singles is exact in double.
            return Math.Sign(double.CreateTruncating(a) * double.CreateTruncating(b) - double.CreateTruncating(r));
        }
        double x = double.CreateTruncating(a), y = double.CreateTruncating(b), p = double.CreateTruncating(r);
        if (p == 0)
        {
            // Underflow to zero: the exact product is nonzero (zero factors return exact zeros earlier).
            return x == 0 || y == 0 ? 0 : Math.Sign(x) * Math.Sign(y);
        }
        if (Math.Abs(p) < Tiny)
        {
            // Below 2^-900 the residual would round away: scale the smaller factor up (exact).
            if (Math.Abs(x) > Math.Abs(y)) { (x, y) = (y, x); }
            return Math.Sign(Math.FusedMultiplyAdd(x * Scale, y, -(p * Scale)));
        }
        return Math.Sign(Math.FusedMultiplyAdd(x, y, -p));
    }

    private static int QuotientError<T>(T a, T b, T r) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double x = double.CreateTruncating(a), y = double.CreateTruncating(b), q = double.CreateTruncating(r);
        int sign = Math.Sign(y);
        if (IsSingle<T>())
        {
            return Math.Sign(x - q * y) * sign;
        }
        if (q == 0)
        {
            return x == 0 ? 0 : Math.Sign(x) * sign;
        }
        if (Math.Abs(q) < Tiny)
        {
            return Math.Sign(Math.FusedMultiplyAdd(-(q * Scale), y, x * Scale)) * sign;
        }
        if (Math.Abs(x) < Tiny)
        {
            // A tiny dividend (and so divisor): the residual, about x * 2^-52, would round away.
            return Math.Sign(Math.FusedMultiplyAdd(-q, y * Scale, x * Scale)) * sign;
        }
        return Math.Sign(Math.FusedMultiplyAdd(-q, y, x)) * sign;
    }

    private static int SqrtError<T>(T a, T r) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double x = double.CreateTruncating(a), s = double.CreateTruncating(r);
        if (IsSingle<T>())
        {
            return Math.Sign(x - s * s);
        }
        if (x < Tiny)
        {
            return Math.Sign(Math.FusedMultiplyAdd(-(s * Math.ScaleB(1.0, 100)), s * Math.ScaleB(1.0, 100), x * Scale));
        }
        return Math.Sign(Math.FusedMultiplyAdd(-s, s, x));
    }

    // ---- compares and conversions ----

    /// <summary>-1 less, 0 equal, 1 greater, 2 unordered; IE for SNaN (and any NaN when <paramref name="signalQuiet"/>).</summary>
    private int CompareOrdered<T>(T a, T b, bool signalQuiet) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        a = Daz(a);
        b = Daz(b);
        if (T.IsNaN(a) || T.IsNaN(b))
        {
            if (signalQuiet || IsSignaling(a) || IsSignaling(b)) { sseRaised |= MxIE; }
            return 2;
        }
        NoteDenormals(a, b);
        return a < b ? -1 : a > b ? 1 : 0;
    }

    /// <summary>CVTSI2SS/SD, CVTDQ2PS: an integer rounded per MXCSR.RC (PE when inexact).</summary>
    private T FromInteger<T>(long v) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T r = IsSingle<T>() ? T.CreateTruncating((float)v) : T.CreateTruncating((double)v);
        Int128 back = Int128.CreateTruncating(double.CreateTruncating(r));
        return Round(r, back == v ? 0 : (Int128)v > back ? 1 : -1, false);
    }

    /// <summary>
    /// CVT(T)SS2SI and friends: rounds per MXCSR.RC (or truncates); NaN and out-of-range give the
    /// integer indefinite (sign bit only) with IE; an inexact conversion sets PE.
    /// </summary>
    private ulong ToInteger<T>(T v, int size, bool truncate) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double x = double.CreateTruncating(v);
        if ((Mxcsr & MxDaz) != 0 && T.IsSubnormal(v)) { x = 0; }
        ulong indefinite = size == 8 ? IndefiniteInt64 : IndefiniteInt32;
        if (double.IsNaN(x))
        {
            sseRaised |= MxIE;
            return indefinite;
        }
        double r = truncate ? Math.Truncate(x) : RoundingControl switch
        {
            0 => Math.Round(x, MidpointRounding.ToEven),
            1 => Math.Floor(x),
            2 => Math.Ceiling(x),
            _ => Math.Truncate(x),
        };
        double limit = size == 8 ? 9223372036854775808.0 : 2147483648.0;
        if (!(r >= -limit && r < limit))
        {
            sseRaised |= MxIE;
            return indefinite;
        }
        if (r != x) { sseRaised |= MxPE; }
        return (ulong)(long)r;
    }

    /// <summary>CVTSS2SD/CVTPS2PD: exact, except that an SNaN becomes quiet with IE.</summary>
    private double Widen(float f)
    {
        if (float.IsNaN(f))
        {
            if (IsSignaling(f)) { sseRaised |= MxIE; }
            uint bits = BitConverter.SingleToUInt32Bits(f) | 0x400000;
            return BitConverter.UInt64BitsToDouble(((ulong)(bits & 0x80000000) << 32) | 0x7FF0000000000000UL | ((ulong)(bits & 0x7FFFFF) << 29));
        }
        f = Daz(f);
        NoteDenormals(f, 0f);
        return f;
    }

    /// <summary>CVTSD2SS/CVTPD2PS: rounded per MXCSR.RC with OE/UE/PE; NaN payloads keep their top bits.</summary>
    private float Narrow(double d)
    {
        if (double.IsNaN(d))
        {
            if (IsSignaling(d)) { sseRaised |= MxIE; }
            ulong bits = BitConverter.DoubleToUInt64Bits(d) | 0x8000000000000UL;
            return BitConverter.UInt32BitsToSingle((uint)((bits >> 32) & 0x80000000) | 0x7F800000 | (uint)((bits >> 29) & 0x7FFFFF));
        }
        d = Daz(d);
        if (double.IsInfinity(d)) { return (float)d; }
        NoteDenormals(d, 0.0);
        float r = (float)d;
        bool overflow = float.IsInfinity(r) && !double.IsInfinity(d);
        int err = overflow ? 0 : Math.Sign(d - r);
        return Round(r, err, overflow);
    }
}
