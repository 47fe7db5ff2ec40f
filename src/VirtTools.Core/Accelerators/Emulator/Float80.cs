namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The x87 double-extended-precision number as the hardware stores it (Intel SDM vol. 1, 4.2.2):
/// a sign, a 15-bit biased exponent (bias 16383) and a 64-bit significand whose top bit is the
/// explicit integer bit. The value is only the bit pattern; arithmetic lives in
/// <see cref="Float80Arithmetic"/>, conversions in <see cref="Float80Conversions"/>.
/// </summary>
internal readonly record struct Float80(ushort SignExp, ulong Significand)
{
    public const int Bias = 16383;
    public const int MaxExp = 0x7FFF;
    public const ulong IntegerBit = 1UL << 63;
    public const ulong QuietBit = 1UL << 62;

    public static readonly Float80 PositiveZero = new(0, 0);
    public static readonly Float80 NegativeZero = new(0x8000, 0);
    public static readonly Float80 One = new(Bias, IntegerBit);

    /// <summary>The "real indefinite": the QNaN every masked invalid operation returns (SDM vol. 1, 4.8.3.7).</summary>
    public static readonly Float80 Indefinite = new(0xFFFF, 0xC000000000000000);

    public bool Sign => (SignExp & 0x8000) != 0;
    /// <summary>Biased exponent, 0..0x7FFF.</summary>
    public int Exponent => SignExp & 0x7FFF;

    public bool IsZero => Exponent == 0 && Significand == 0;
    /// <summary>Denormals and pseudo-denormals (exponent 0, integer bit set): both take the denormal-operand path.</summary>
    public bool IsDenormal => Exponent == 0 && Significand != 0;
    public bool IsInfinity => Exponent == MaxExp && Significand == IntegerBit;
    public bool IsNaN => Exponent == MaxExp && (Significand & IntegerBit) != 0 && (Significand << 1) != 0;
    public bool IsSignalingNaN => IsNaN && (Significand & QuietBit) == 0;
    /// <summary>
    /// Encodings the 387 and later reject as operands (pseudo-NaN, pseudo-infinity, unnormal): a
    /// non-zero exponent without the integer bit. They raise #IA like an SNaN (SDM vol. 1, 8.2.2).
    /// </summary>
    public bool IsUnsupported => Exponent != 0 && (Significand & IntegerBit) == 0;

    public Float80 Negate() => new((ushort)(SignExp ^ 0x8000), Significand);
    public Float80 Abs() => new((ushort)(SignExp & 0x7FFF), Significand);
    public Float80 WithSign(bool negative) => new((ushort)((SignExp & 0x7FFF) | (negative ? 0x8000 : 0)), Significand);
    public Float80 Quiet() => new(SignExp, Significand | QuietBit);

    public static Float80 Infinity(bool negative) => new((ushort)(MaxExp | (negative ? 0x8000 : 0)), IntegerBit);
    public static Float80 Zero(bool negative) => negative ? NegativeZero : PositiveZero;

    /// <summary>The 2-bit tag FSTENV and FSAVE store for a non-empty register: 0 valid, 1 zero, 2 special.</summary>
    public int Tag => IsZero ? 1 : Exponent == MaxExp || Exponent == 0 || IsUnsupported ? 2 : 0;

    public void Write(Span<byte> to)
    {
        BitConverter.TryWriteBytes(to, Significand);
        BitConverter.TryWriteBytes(to[8..], SignExp);
    }

    public static Float80 Read(ReadOnlySpan<byte> from) => new(BitConverter.ToUInt16(from[8..]), BitConverter.ToUInt64(from));

    public override string ToString() => $"{SignExp:X4}:{Significand:X16}";
}
