namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The hooks FXSAVE/FXRSTOR (SSE branch) call for the x87 part of the 512-byte area; implemented
/// in X86Cpu.X87.cs. This file only declares them so the x87 branch builds alone; it goes away
/// when the SSE branch, which declares the same two methods, is merged.
/// </summary>
public sealed partial class X86Cpu
{
    partial void SaveX87Area(Span<byte> area);

    partial void RestoreX87Area(ReadOnlySpan<byte> area);
}
