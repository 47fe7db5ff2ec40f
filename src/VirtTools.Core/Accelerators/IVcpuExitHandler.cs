namespace VirtTools.Accelerators;

/// <summary>
/// The one callback through which every accelerator hands guest I/O to the machine: the KVM backend
/// calls it from its exit handling, the emulator from its IN/OUT/MOV instructions. Devices behind it
/// never learn which accelerator runs them. Called on the vCPU thread; the implementation (the
/// machine's buses) does its own locking.
/// </summary>
public interface IVcpuExitHandler
{
    /// <summary>IN from <paramref name="port"/>: fill <paramref name="data"/> (1, 2 or 4 bytes).</summary>
    void PortRead(ushort port, Span<byte> data);

    /// <summary>OUT to <paramref name="port"/>.</summary>
    void PortWrite(ushort port, ReadOnlySpan<byte> data);

    /// <summary>A guest load from an address that is not RAM.</summary>
    void MmioRead(ulong address, Span<byte> data);

    /// <summary>A guest store to an address that is not RAM.</summary>
    void MmioWrite(ulong address, ReadOnlySpan<byte> data);

    /// <summary>
    /// The user-space interrupt controller, consulted before each guest entry when the accelerator has
    /// none of its own in use (the emulator; KVM without an in-kernel irqchip). Null otherwise.
    /// </summary>
    IInterruptAcknowledge? Interrupts { get; }

    /// <summary>
    /// FERR#: the CPU found an unmasked x87 exception pending while CR0.NE = 0 (only the emulator
    /// reports it); the machine raises IRQ13 until the guest writes port F0h.
    /// </summary>
    void FpuError()
    {
    }
}
