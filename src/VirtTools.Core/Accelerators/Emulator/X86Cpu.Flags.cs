using System.Runtime.CompilerServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// Lazy arithmetic flags: ALU instructions record operands and result; CF, PF, AF, ZF, SF and OF
/// are derived only when something reads them (a conditional branch usually needs one or two).
/// </summary>
public sealed partial class X86Cpu
{
    public const uint CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200, DF = 0x400,
        OF = 0x800, IOPL = 0x3000, NT = 0x4000, RF = 0x10000, VM = 0x20000, AC = 0x40000, ID = 0x200000;
    internal const uint ArithFlags = CF | PF | AF | ZF | SF | OF;

    // Lazy kinds: which formula derives the flags from LazyA, LazyB and LazyR.
    internal const int LazyNone = 0, LazyAdd = 1, LazyAdc = 2, LazySub = 3, LazySbb = 4, LazyLogic = 5, LazyInc = 6, LazyDec = 7;

    /// <summary>EFLAGS; its arithmetic bits are stale while <see cref="lazyOp"/> is not LazyNone.</summary>
    internal uint eflags = 2;
    internal int lazyOp;
    internal int lazySize = 4;
    internal ulong lazyA, lazyB, lazyR;

    private static readonly byte[] parity = BuildParity();

    private static byte[] BuildParity()
    {
        var t = new byte[256];
        for (int i = 0; i < 256; i++)
        {
            t[i] = (byte)((System.Numerics.BitOperations.PopCount((uint)i) & 1) == 0 ? 1 : 0);
        }
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetLazy(int op, ulong a, ulong b, ulong r, int size)
    {
        lazyOp = op;
        lazyA = a;
        lazyB = b;
        lazyR = r;
        lazySize = size;
    }

    /// <summary>INC and DEC keep CF: freeze it into eflags before recording the new result.</summary>
    internal void SetLazyKeepCarry(int op, ulong a, ulong r, int size)
    {
        if (lazyOp != LazyNone)
        {
            eflags = (eflags & ~CF) | (GetCF() ? CF : 0);
        }
        SetLazy(op, a, 1, r, size);
    }

    internal bool GetCF() => lazyOp switch
    {
        LazyNone or LazyInc or LazyDec => (eflags & CF) != 0,
        LazyAdd => lazyR < lazyA,
        LazyAdc => lazyR <= lazyA,
        LazySub => lazyA < lazyB,
        LazySbb => lazyA <= lazyB,
        _ => false,
    };

    internal bool GetZF() => lazyOp == LazyNone ? (eflags & ZF) != 0 : lazyR == 0;

    internal bool GetSF() => lazyOp == LazyNone ? (eflags & SF) != 0 : (lazyR & SignBit(lazySize)) != 0;

    internal bool GetPF() => lazyOp == LazyNone ? (eflags & PF) != 0 : parity[(byte)lazyR] != 0;

    internal bool GetOF() => lazyOp switch
    {
        LazyNone => (eflags & OF) != 0,
        LazyAdd or LazyAdc or LazyInc => (((lazyA ^ lazyR) & (lazyB ^ lazyR)) & SignBit(lazySize)) != 0,
        LazySub or LazySbb or LazyDec => (((lazyA ^ lazyB) & (lazyA ^ lazyR)) & SignBit(lazySize)) != 0,
        _ => false,
    };

    internal bool GetAF() => lazyOp switch
    {
        LazyNone => (eflags & AF) != 0,
        LazyLogic => false,
        _ => ((lazyA ^ lazyB ^ lazyR) & 0x10) != 0,
    };

    /// <summary>The full EFLAGS value (materializes the lazy bits).</summary>
    public uint GetFlags()
    {
        if (lazyOp != LazyNone)
        {
            uint f = eflags & ~ArithFlags;
            if (GetCF()) { f |= CF; }
            if (GetPF()) { f |= PF; }
            if (GetAF()) { f |= AF; }
            if (GetZF()) { f |= ZF; }
            if (GetSF()) { f |= SF; }
            if (GetOF()) { f |= OF; }
            eflags = f;
            lazyOp = LazyNone;
        }
        return eflags;
    }

    /// <summary>Sets EFLAGS as a whole (bit 1 always reads as one).</summary>
    public void SetFlags(uint value)
    {
        uint old = eflags;
        eflags = (value & 0x3F7FD7) | 2;
        lazyOp = LazyNone;
        if ((value & ~old & AC) != 0)
        {
            AlignmentFlagChanged(old);
        }
    }

    /// <summary>Sets or clears arithmetic flags computed eagerly by an instruction.</summary>
    internal void SetArith(uint mask, uint bits)
    {
        GetFlags();
        eflags = (eflags & ~mask) | (bits & mask);
    }

    internal void SetCFOnly(bool cf)
    {
        GetFlags();
        eflags = (eflags & ~CF) | (cf ? CF : 0);
    }

    /// <summary>PF, ZF and SF of a result, as eager bits.</summary>
    internal static uint Szp(ulong r, int size)
    {
        r &= Mask(size);
        uint f = parity[(byte)r] != 0 ? PF : 0;
        if (r == 0) { f |= ZF; }
        if ((r & SignBit(size)) != 0) { f |= SF; }
        return f;
    }

    /// <summary>Evaluates condition code <paramref name="cc"/> (the low nibble of Jcc/SETcc/CMOVcc).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Condition(int cc)
    {
        bool r;
        if (lazyOp == LazySub)
        {
            int shift = 64 - lazySize * 8;
            switch (cc >> 1)
            {
                case 1: r = lazyA < lazyB; break;
                case 2: r = lazyR == 0; break;
                case 3: r = lazyA <= lazyB; break;
                case 6: r = (long)(lazyA << shift) < (long)(lazyB << shift); break;
                case 7: r = (long)(lazyA << shift) <= (long)(lazyB << shift); break;
                default: r = ConditionFromFlags(cc >> 1); break;
            }
        }
        else if (lazyOp == LazyLogic && (cc >> 1) == 2)
        {
            r = lazyR == 0;
        }
        else
        {
            r = ConditionFromFlags(cc >> 1);
        }
        return (cc & 1) != 0 ? !r : r;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool ConditionFromFlags(int c) => c switch
        {
            0 => GetOF(),
            1 => GetCF(),
            2 => GetZF(),
            3 => GetCF() || GetZF(),
            4 => GetSF(),
            5 => GetPF(),
            6 => GetSF() != GetOF(),
            _ => GetZF() || GetSF() != GetOF(),
        };
}
