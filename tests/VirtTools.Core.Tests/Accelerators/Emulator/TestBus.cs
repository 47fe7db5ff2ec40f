using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>A bus for CPU tests: records port writes, reads unbacked addresses as all ones, optional IRQ line.</summary>
internal sealed class TestBus : IEmulatorBus
{
    public List<(ushort Port, int Size, ulong Value)> PortWrites { get; } = new();
    public Dictionary<ushort, ulong> PortValues { get; } = new();
    public int MmioReads { get; private set; }
    public int MmioWrites { get; private set; }
    public int? PendingVector { get; set; }
    /// <summary>How often the CPU asserted FERR# (a pending x87 exception with CR0.NE = 0).</summary>
    public int FpuErrors { get; private set; }

    public ulong ReadPort(ushort port, int size) => PortValues.TryGetValue(port, out ulong v) ? v : ~0UL;

    public void WritePort(ushort port, int size, ulong value) => PortWrites.Add((port, size, value));

    public ulong ReadMmio(ulong address, int size)
    {
        MmioReads++;
        return ~0UL;
    }

    public void WriteMmio(ulong address, int size, ulong value) => MmioWrites++;

    public bool InterruptPending => PendingVector.HasValue;

    public void FpuError() => FpuErrors++;

    public int AcknowledgeInterrupt()
    {
        int v = PendingVector ?? 0;
        PendingVector = null;
        return v;
    }
}

/// <summary>Guest RAM for tests: native memory, freed on dispose.</summary>
internal sealed unsafe class TestRam : IDisposable
{
    public TestRam(ulong size)
    {
        Size = size;
        Pointer = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)size);
    }

    public byte* Pointer { get; private set; }
    public ulong Size { get; }

    public Span<byte> Span => new(Pointer, (int)Math.Min(Size, int.MaxValue));

    public void Write(ulong address, ReadOnlySpan<byte> bytes) => bytes.CopyTo(new Span<byte>(Pointer + address, bytes.Length));

    public void Dispose()
    {
        if (Pointer != null)
        {
            System.Runtime.InteropServices.NativeMemory.Free(Pointer);
            Pointer = null;
        }
    }
}
