using System.Runtime.InteropServices;

namespace VirtTools.Accelerators;

/// <summary>
/// A segment register with its hidden descriptor cache, laid out as KVM's <c>struct kvm_segment</c>
/// (24 bytes). <see cref="Type"/>, <see cref="S"/>, <see cref="Dpl"/>, <see cref="Present"/>,
/// <see cref="Avl"/>, <see cref="L"/>, <see cref="Db"/> and <see cref="G"/> are the descriptor's
/// attribute bits (Intel SDM vol. 3, 3.4.5), one byte each.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct SegmentRegister
{
    public ulong Base;
    public uint Limit;
    public ushort Selector;
    public byte Type, Present, Dpl, Db, S, L, G, Avl;
    /// <summary>1 for a null or unusable segment (VMX's "unusable" bit).</summary>
    public byte Unusable;
    private readonly byte padding;

    /// <summary>A real-mode segment: base = selector * 16, 64 KiB limit, read/write (type 3, or 0xb for code).</summary>
    public static SegmentRegister RealMode(ushort selector, bool code) => new()
    {
        Base = (ulong)selector << 4, Limit = 0xffff, Selector = selector,
        Type = (byte)(code ? 0xb : 0x3), Present = 1, S = 1,
    };

    /// <summary>
    /// Decodes a GDT descriptor (the 8-byte value as it sits in memory) loaded with <paramref name="selector"/>.
    /// </summary>
    public static SegmentRegister FromDescriptor(ushort selector, ulong descriptor)
    {
        var g = (byte)((descriptor >> 55) & 1);
        var limit = (uint)((descriptor & 0xffff) | ((descriptor >> 32) & 0xf0000));
        return new SegmentRegister
        {
            Base = ((descriptor >> 16) & 0xffffff) | (((descriptor >> 56) & 0xff) << 24),
            Limit = g == 1 ? (limit << 12) | 0xfff : limit,
            Selector = selector,
            Type = (byte)((descriptor >> 40) & 0xf),
            S = (byte)((descriptor >> 44) & 1),
            Dpl = (byte)((descriptor >> 45) & 3),
            Present = (byte)((descriptor >> 47) & 1),
            Avl = (byte)((descriptor >> 52) & 1),
            L = (byte)((descriptor >> 53) & 1),
            Db = (byte)((descriptor >> 54) & 1),
            G = g,
        };
    }
}
