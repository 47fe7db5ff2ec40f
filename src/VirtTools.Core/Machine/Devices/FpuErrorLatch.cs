namespace VirtTools.Machine.Devices;

/// <summary>
/// The PC-AT's FERR# latch: the x87 reports an unmasked exception while CR0.NE = 0 by asserting
/// FERR#, which the board routes to IRQ13 (the slave 8259's IR5) and holds until the handler writes
/// any value to port F0h (which also asserts IGNNE# on the real board, so the FPU runs on). Only the
/// emulator drives it (<see cref="Accelerators.IVcpuExitHandler.FpuError"/>); under KVM a guest's
/// write to the port just lowers a line nobody raised.
/// </summary>
public sealed class FpuErrorLatch : IBusDevice
{
    /// <summary>One port: F0h (F1h, the 287's reset port, is not modelled).</summary>
    public const ulong Length = 1;

    private readonly IInterruptLine line;

    public FpuErrorLatch(IInterruptLine line) => this.line = line;

    public string Name => "FERR# latch";

    public long UnhandledAccesses { get; private set; }

    /// <summary>FERR# from the CPU: raise IRQ13 until the guest clears it.</summary>
    public void Assert() => line.Set(true);

    /// <summary>Reads are not defined on the board: counted, and all ones.</summary>
    public void Read(ulong offset, Span<byte> data)
    {
        UnhandledAccesses++;
        data.Fill(0xff);
    }

    /// <summary>A write of any value clears the latch and lowers IRQ13.</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> data) => line.Set(false);
}
