namespace VirtTools.Machine;

/// <summary>
/// A device on the port or MMIO bus. It sees offsets from the start of the range the bus gave it,
/// never absolute addresses, so the same model can sit at any base. Accesses it does not understand are
/// counted in <see cref="UnhandledAccesses"/> and ignored (reads return all ones), never thrown.
/// Called on the vCPU thread; a device touched from other threads (console input) locks itself.
/// </summary>
public interface IBusDevice
{
    /// <summary>A short name for statistics and errors, e.g. "COM1".</summary>
    string Name { get; }

    void Read(ulong offset, Span<byte> data);

    void Write(ulong offset, ReadOnlySpan<byte> data);

    /// <summary>Accesses to offsets or widths the device does not implement.</summary>
    long UnhandledAccesses { get; }
}
