namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// MXCSR and the FXSAVE/FXRSTOR area (SDM vol. 1, 10.5.1: 512 bytes, 16-byte aligned). This file
/// owns the XMM and MXCSR fields; the x87 fields go through <see cref="SaveX87Area"/> and
/// <see cref="RestoreX87Area"/>, which the x87 unit implements (without it FXSAVE stores the
/// state FNINIT leaves and FXRSTOR ignores the x87 part).
/// </summary>
public sealed partial class X86Cpu
{
    /// <summary>Power-on MXCSR: every exception masked, round to nearest, no DAZ/FTZ.</summary>
    public const uint MxcsrDefault = 0x1F80;
    /// <summary>The MXCSR bits this CPU implements (DAZ included), stored as MXCSR_MASK by FXSAVE.</summary>
    public const uint MxcsrMask = 0xFFFF;

    // FXSAVE area offsets.
    private const int FxFcw = 0, FxFsw = 2, FxFtw = 4, FxMxcsr = 24, FxMxcsrMask = 28, FxXmm = 160, FxSize = 512;

    public uint Mxcsr { get; set; } = MxcsrDefault;

    /// <summary>Writes the x87 part (bytes 0-23 and 32-159) of an FXSAVE area; implemented with x87.</summary>
    partial void SaveX87Area(Span<byte> area);

    /// <summary>Loads the x87 part of an FXSAVE area; implemented with x87.</summary>
    partial void RestoreX87Area(ReadOnlySpan<byte> area);

    private void ResetSse()
    {
        Array.Clear(Xmm);
        Mxcsr = MxcsrDefault;
    }

    /// <summary>LDMXCSR: setting a reserved bit is #GP(0).</summary>
    private void LoadMxcsr(uint value)
    {
        if ((value & ~MxcsrMask) != 0)
        {
            throw new GuestFault(Vectors.GP, 0);
        }
        Mxcsr = value;
    }

    /// <summary>XMM8-15 are part of the area only in 64-bit mode.</summary>
    private int SavedXmmCount => CodeBits == 64 ? 16 : 8;

    private void Fxsave(ref Insn i)
    {
        ulong lin = FxsaveAddress(ref i, AccessKind.Write);
        Span<byte> area = stackalloc byte[FxSize];
        area.Clear();
        BitConverter.TryWriteBytes(area[FxFcw..], (ushort)0x037F); // FNINIT's control word; status 0, all tags empty
        SaveX87Area(area);
        BitConverter.TryWriteBytes(area[FxMxcsr..], Mxcsr);
        BitConverter.TryWriteBytes(area[FxMxcsrMask..], MxcsrMask);
        int count = SavedXmmCount;
        for (int k = 0; k < count; k++)
        {
            BitConverter.TryWriteBytes(area[(FxXmm + 16 * k)..], Xmm[k].Lo);
            BitConverter.TryWriteBytes(area[(FxXmm + 16 * k + 8)..], Xmm[k].Hi);
        }
        // Bytes past the saved registers are reserved or for software: left as they are.
        int end = FxXmm + 16 * count;
        for (int k = 0; k < end; k += 8)
        {
            WriteMem((lin + (ulong)k) & LinearMask, 8, BitConverter.ToUInt64(area[k..]));
        }
    }

    private void Fxrstor(ref Insn i)
    {
        ulong lin = FxsaveAddress(ref i, AccessKind.Read);
        Span<byte> area = stackalloc byte[FxSize];
        for (int k = 0; k < FxSize; k += 8)
        {
            BitConverter.TryWriteBytes(area[k..], ReadMem((lin + (ulong)k) & LinearMask, 8));
        }
        LoadMxcsr(BitConverter.ToUInt32(area[FxMxcsr..]));
        RestoreX87Area(area);
        int count = SavedXmmCount;
        for (int k = 0; k < count; k++)
        {
            Xmm[k] = new XmmRegister(BitConverter.ToUInt64(area[(FxXmm + 16 * k)..]), BitConverter.ToUInt64(area[(FxXmm + 16 * k + 8)..]));
        }
    }

    /// <summary>The area's linear address: 16-byte aligned (#GP(0)), and both ends translated before anything changes.</summary>
    private ulong FxsaveAddress(ref Insn i, AccessKind kind)
    {
        ulong lin = Linear(ref i);
        if ((lin & 15) != 0)
        {
            throw new GuestFault(Vectors.GP, 0);
        }
        if (PagingEnabled)
        {
            Translate(lin, kind);
            Translate((lin + FxSize - 1) & LinearMask, kind);
        }
        return lin;
    }
}
