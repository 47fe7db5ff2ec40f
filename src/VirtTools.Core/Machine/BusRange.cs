namespace VirtTools.Machine;

/// <summary>One device's window on a bus: [<see cref="Base"/>, <see cref="Base"/> + <see cref="Length"/>).</summary>
public readonly record struct BusRange(ulong Base, ulong Length, IBusDevice Device)
{
    public ulong End => Base + Length;

    public bool Overlaps(ulong start, ulong length) => start < End && Base < start + length;

    public override string ToString() => $"{Device.Name} [0x{Base:x}, 0x{End:x})";
}
