namespace VirtTools.Machine;

/// <summary>The two address spaces devices live in.</summary>
public enum BusKind
{
    /// <summary>x86 I/O ports, 0 to 0xffff (IN/OUT).</summary>
    Port,
    /// <summary>Guest physical addresses that are not RAM.</summary>
    Mmio,
}
