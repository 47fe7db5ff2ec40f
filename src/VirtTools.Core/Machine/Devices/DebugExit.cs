namespace VirtTools.Machine.Devices;

/// <summary>
/// The debug-exit port (QEMU's isa-debug-exit, the convention kvm-unit-tests and most test guests
/// use): a write of value v ends the run with exit code v. Unlike QEMU, which turns v into the process
/// status (v &lt;&lt; 1) | 1, the machine reports v itself.
/// </summary>
public sealed class DebugExit : IBusDevice
{
    /// <summary>Port width: OUT of a byte, word or dword to the base port all count.</summary>
    public const ulong Length = 1;

    /// <summary>Called on the vCPU thread with the value written.</summary>
    private readonly Action<uint> exit;

    public DebugExit(Action<uint> exit) => this.exit = exit;

    public string Name => "debug-exit";

    public long UnhandledAccesses => 0;

    /// <summary>Reads return all ones: the port is write-only.</summary>
    public void Read(ulong offset, Span<byte> data) => data.Fill(0xff);

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        var value = 0u;
        for (var i = data.Length - 1; i >= 0; i--)
        {
            value = (value << 8) | data[i];
        }
        exit(value);
    }
}
