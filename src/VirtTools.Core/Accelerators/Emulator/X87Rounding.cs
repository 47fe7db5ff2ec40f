namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// What one x87 operation needs from the control word and what it reports back: precision and
/// rounding control in, the exception flags it raised (FSW bit positions) and whether the
/// rounded result is larger in magnitude than the exact one (FSW.C1, SDM vol. 1, 8.1.3.1) out.
/// </summary>
internal struct X87Rounding
{
    // FSW exception bits (SDM vol. 1, figure 8-5); FCW masks use the same positions.
    public const int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 0x10, PE = 0x20;
    // FCW.RC values.
    public const int Nearest = 0, Down = 1, Up = 2, TowardZero = 3;

    /// <summary>Significand bits the result is rounded to: 24, 53 or 64.</summary>
    public int Precision;
    /// <summary>FCW.RC: <see cref="Nearest"/>, <see cref="Down"/>, <see cref="Up"/>, <see cref="TowardZero"/>.</summary>
    public int Mode;
    /// <summary>An unmasked underflow is signalled for every tiny result, a masked one only when also inexact.</summary>
    public bool UnderflowUnmasked;
    /// <summary>Exception flags raised so far.</summary>
    public int Flags;
    /// <summary>The last rounding went up in magnitude.</summary>
    public bool RoundedUp;

    public X87Rounding(int precision, int mode, bool underflowUnmasked = false)
    {
        Precision = precision;
        Mode = mode;
        UnderflowUnmasked = underflowUnmasked;
    }

    /// <summary>Full 64-bit precision with the FCW's rounding: what loads, stores and FRNDINT use.</summary>
    public static X87Rounding FromControlWord(ushort fcw, bool usePrecisionControl)
    {
        int pc = (fcw >> 8) & 3;
        int precision = !usePrecisionControl ? 64 : pc switch { 0 => 24, 2 => 53, _ => 64 };
        return new X87Rounding(precision, (fcw >> 10) & 3, (fcw & UE) == 0);
    }
}
