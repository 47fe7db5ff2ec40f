namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// A segment register's visible selector and hidden descriptor cache. <see cref="Attr"/> keeps the
/// descriptor's access byte in bits 0..7 and its flags nibble (AVL, L, D/B, G) in bits 12..15,
/// the layout of VMX and KVM segment attributes.
/// </summary>
public struct Segment
{
    public ushort Selector;
    public ulong Base;
    public uint Limit;
    public ushort Attr;

    public readonly bool Present => (Attr & 0x80) != 0;
    public readonly int Dpl => (Attr >> 5) & 3;
    public readonly bool Long => (Attr & 0x2000) != 0;
    public readonly bool Big => (Attr & 0x4000) != 0;
    public readonly int Type => Attr & 0xF;
    public readonly bool IsCode => (Attr & 0x18) == 0x18;

    /// <summary>The state a real-mode load produces: base = selector * 16, 64 KiB, data read/write.</summary>
    public static Segment Real(ushort selector, ushort attr = 0x93) =>
        new() { Selector = selector, Base = (ulong)selector << 4, Limit = 0xFFFF, Attr = attr };

    /// <summary>Builds the cache from an 8-byte GDT/LDT descriptor.</summary>
    public static Segment FromDescriptor(ushort selector, ulong d)
    {
        uint limit = (uint)(d & 0xFFFF) | (uint)((d >> 32) & 0xF0000);
        if ((d & (1UL << 55)) != 0)
        {
            limit = (limit << 12) | 0xFFF;
        }
        return new Segment
        {
            Selector = selector,
            Base = ((d >> 16) & 0xFFFFFF) | (((d >> 56) & 0xFF) << 24),
            Limit = limit,
            Attr = (ushort)(((d >> 40) & 0xFF) | (((d >> 52) & 0xF) << 12)),
        };
    }
}

/// <summary>GDTR or IDTR.</summary>
public struct DescriptorTable
{
    public ulong Base;
    public ushort Limit;
}
