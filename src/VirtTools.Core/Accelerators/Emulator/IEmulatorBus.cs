namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// What the emulated CPU needs from the machine around it: port I/O, accesses to physical
/// addresses outside RAM (MMIO, or nothing: reads of unbacked addresses return all ones), and the
/// interrupt controller. The accelerator adapts the machine's buses to this; tests implement it
/// directly.
/// </summary>
public interface IEmulatorBus
{
    ulong ReadPort(ushort port, int size);

    void WritePort(ushort port, int size, ulong value);

    ulong ReadMmio(ulong address, int size);

    void WriteMmio(ulong address, int size, ulong value);

    /// <summary>True when the interrupt controller has an unmasked request for the CPU.</summary>
    bool InterruptPending { get; }

    /// <summary>Acknowledges the highest-priority request and returns its vector (the INTA cycle).</summary>
    int AcknowledgeInterrupt();

    /// <summary>
    /// FERR#: a waiting x87 instruction found an unmasked exception pending while CR0.NE = 0. A PC
    /// turns it into IRQ13 until the handler writes port F0h; a bus without that wiring ignores it.
    /// </summary>
    void FpuError()
    {
    }
}
