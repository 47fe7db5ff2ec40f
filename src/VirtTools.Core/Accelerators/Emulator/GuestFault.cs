namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// A guest CPU exception raised while executing an instruction (#GP, #PF, ...). Thrown from deep
/// inside memory and segment helpers and caught by the run loop, which delivers it to the guest;
/// it never leaves the emulator.
/// </summary>
internal sealed class GuestFault : Exception
{
    public GuestFault(int vector, uint? errorCode = null)
        : base($"guest exception {vector}")
    {
        Vector = vector;
        ErrorCode = errorCode;
    }

    public int Vector { get; }

    public uint? ErrorCode { get; }
}

/// <summary>Exception vector numbers (Intel SDM vol. 3, table 6-1).</summary>
public static class Vectors
{
    public const int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8;
    public const int TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;
}
