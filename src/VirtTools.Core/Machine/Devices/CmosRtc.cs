namespace VirtTools.Machine.Devices;

/// <summary>
/// CMOS RAM and real-time clock (Motorola MC146818, as on every PC): index port 0x70 (bit 7 is the NMI
/// mask, ignored), data port 0x71. Time registers read the host's UTC clock in BCD, 24-hour mode;
/// status register A never shows update-in-progress; the memory-size bytes describe the machine's RAM
/// so firmware-style probes find it. No alarm or periodic interrupt (IRQ 8 stays low).
/// </summary>
public sealed class CmosRtc : IBusDevice
{
    /// <summary>Index (offset 0) and data (offset 1).</summary>
    public const ulong Length = 2;

    private const byte Seconds = 0x00, Minutes = 0x02, Hours = 0x04, DayOfWeek = 0x06, DayOfMonth = 0x07,
        Month = 0x08, Year = 0x09, StatusA = 0x0a, StatusB = 0x0b, StatusC = 0x0c, StatusD = 0x0d, Century = 0x32;
    private const byte StatusBTwentyFourHour = 0x02;
    private const byte StatusBBinary = 0x04;
    private const byte StatusDValid = 0x80;   // VRT: the battery is fine

    private readonly object gate = new();
    /// <summary>The 128 bytes of CMOS RAM; time registers are computed on read instead.</summary>
    private readonly byte[] ram = new byte[128];
    /// <summary>The register the next data access goes to.</summary>
    private byte index;
    private long unhandled;

    /// <param name="memoryBytes">RAM size for the memory-size bytes (0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5b-0x5d).</param>
    public CmosRtc(ulong memoryBytes)
    {
        ram[StatusA] = 0x26;                          // 32.768 kHz time base, 1024 Hz rate select
        ram[StatusB] = StatusBTwentyFourHour;
        ram[StatusD] = StatusDValid;
        ram[0x15] = 0x80;                             // 640 KiB base memory
        ram[0x16] = 0x02;
        var extendedKb = Math.Min((memoryBytes > 0x100000 ? memoryBytes - 0x100000 : 0) / 1024, 0xffff);
        ram[0x17] = ram[0x30] = (byte)extendedKb;      // KiB above 1 MiB
        ram[0x18] = ram[0x31] = (byte)(extendedKb >> 8);
        var above16M = Math.Min((memoryBytes > 0x1000000 ? Math.Min(memoryBytes, MachineLayout.MmioGapStart) - 0x1000000 : 0) / 65536, 0xffff);
        ram[0x34] = (byte)above16M;                    // 64 KiB blocks between 16 MiB and the gap
        ram[0x35] = (byte)(above16M >> 8);
        var above4G = memoryBytes > MachineLayout.MmioGapStart ? (memoryBytes - MachineLayout.MmioGapStart) / 65536 : 0;
        ram[0x5b] = (byte)above4G;                     // 64 KiB blocks above 4 GiB
        ram[0x5c] = (byte)(above4G >> 8);
        ram[0x5d] = (byte)(above4G >> 16);
    }

    public string Name => "CMOS";

    public long UnhandledAccesses => Interlocked.Read(ref unhandled);

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0xff);
        lock (gate)
        {
            switch (offset)
            {
                case 0:
                    data[0] = index;
                    break;
                case 1:
                    data[0] = ReadRegister(index);
                    break;
                default:
                    Interlocked.Increment(ref unhandled);
                    break;
            }
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (gate)
        {
            switch (offset)
            {
                case 0:
                    index = (byte)(data[0] & 0x7f);
                    break;
                case 1 when index is not (StatusC or StatusD):
                    ram[index] = data[0];
                    break;
                default:
                    Interlocked.Increment(ref unhandled);
                    break;
            }
        }
    }

    private byte ReadRegister(byte register)
    {
        var now = DateTime.UtcNow;
        return register switch
        {
            Seconds => Encode(now.Second),
            Minutes => Encode(now.Minute),
            Hours => Encode(now.Hour),
            DayOfWeek => Encode((int)now.DayOfWeek + 1),
            DayOfMonth => Encode(now.Day),
            Month => Encode(now.Month),
            Year => Encode(now.Year % 100),
            Century => Encode(now.Year / 100),
            StatusC => 0,
            _ => ram[register],
        };
    }

    private byte Encode(int value) =>
        (ram[StatusB] & StatusBBinary) != 0 ? (byte)value : (byte)(((value / 10) << 4) | (value % 10));
}
