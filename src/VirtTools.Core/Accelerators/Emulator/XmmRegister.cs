using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// One 128-bit XMM register (or a 128-bit memory operand on its way in or out), little-endian
/// like the hardware: element k of any width is at byte offset k * width.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct XmmRegister : IEquatable<XmmRegister>
{
    public ulong Lo;
    public ulong Hi;

    public XmmRegister(ulong lo, ulong hi)
    {
        Lo = lo;
        Hi = hi;
    }

    /// <summary>The register as elements of <typeparamref name="T"/> (byte .. ulong, float, double).</summary>
    [UnscopedRef]
    public Span<T> As<T>() where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(MemoryMarshal.CreateSpan(ref Unsafe.As<ulong, byte>(ref Lo), 16));

    public readonly bool Equals(XmmRegister other) => Lo == other.Lo && Hi == other.Hi;
    public override readonly bool Equals(object? obj) => obj is XmmRegister x && Equals(x);
    public override readonly int GetHashCode() => HashCode.Combine(Lo, Hi);
    public override readonly string ToString() => $"{Hi:x16}{Lo:x16}";
}
