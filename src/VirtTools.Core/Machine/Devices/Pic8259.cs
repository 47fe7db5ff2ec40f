namespace VirtTools.Machine.Devices;

/// <summary>
/// One 8259A programmable interrupt controller (Intel 8259A data sheet): the ICW1-ICW4 initialisation
/// sequence, the mask (OCW1), EOI (OCW2) and IRR/ISR read select (OCW3); edge-triggered inputs, fixed
/// priority (IR0 highest), optional auto-EOI. Two of them, cascaded, make a <see cref="PicPair"/>, which
/// also owns the lock: a chip is only touched under its pair's lock.
/// </summary>
public sealed class Pic8259 : IBusDevice
{
    /// <summary>Command port (offset 0) and data port (offset 1).</summary>
    public const ulong Length = 2;

    private const byte Icw1 = 0x10;        // bit 4 on the command port: start initialisation
    private const byte Icw1NeedIcw4 = 0x01;
    private const byte Icw1Single = 0x02;
    private const byte Ocw3 = 0x08;        // bit 3 (with bit 4 clear): OCW3, else OCW2
    private const byte Ocw3ReadSelect = 0x02;
    private const byte Icw4AutoEoi = 0x02;

    private readonly PicPair pair;
    private readonly string name;
    /// <summary>Interrupt request register: inputs that saw a rising edge and are not yet acknowledged.</summary>
    private byte irr;
    /// <summary>In-service register: acknowledged, waiting for EOI.</summary>
    private byte isr;
    /// <summary>Interrupt mask register (OCW1).</summary>
    private byte imr = 0xff;
    /// <summary>Input levels last seen, for edge detection.</summary>
    private byte levels;
    /// <summary>Vector of IR0 (ICW2, low three bits zero).</summary>
    private byte vectorBase;
    /// <summary>Which ICW the data port expects next (2, 3, 4), or 0 when initialised.</summary>
    private int initStep;
    private bool needIcw4, single, autoEoi;
    /// <summary>OCW3: a command-port read returns ISR (true) or IRR (false).</summary>
    private bool readIsr;
    private long unhandled;

    internal Pic8259(PicPair pair, string name)
    {
        this.pair = pair;
        this.name = name;
    }

    public string Name => name;

    public long UnhandledAccesses => Interlocked.Read(ref unhandled);

    public byte VectorBase => vectorBase;

    /// <summary>The INT output: an unmasked request with higher priority than everything in service.</summary>
    internal bool HasOutput => HighestRequest() >= 0;

    internal void SetInput(int line, bool level)
    {
        var bit = (byte)(1 << line);
        if (level && (levels & bit) == 0)
        {
            irr |= bit;
        }
        levels = level ? (byte)(levels | bit) : (byte)(levels & ~bit);
    }

    /// <summary>Level-sensitive input (the cascade line): IRR follows the level.</summary>
    internal void SetLevel(int line, bool level)
    {
        var bit = (byte)(1 << line);
        irr = level ? (byte)(irr | bit) : (byte)(irr & ~bit);
        levels = level ? (byte)(levels | bit) : (byte)(levels & ~bit);
    }

    /// <summary>The INTA cycle on this chip: the line acknowledged, or -1 (spurious, IR7).</summary>
    internal int Acknowledge()
    {
        var line = HighestRequest();
        if (line < 0)
        {
            return -1;
        }
        var bit = (byte)(1 << line);
        irr &= (byte)~bit;
        if (!autoEoi)
        {
            isr |= bit;
        }
        return line;
    }

    internal int HighestRequest()
    {
        var pending = (byte)(irr & ~imr);
        for (var line = 0; line < 8; line++)
        {
            var bit = 1 << line;
            if ((isr & bit) != 0)
            {
                return -1;     // something of higher or equal priority is in service
            }
            if ((pending & bit) != 0)
            {
                return line;
            }
        }
        return -1;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0xff);
        lock (pair.Gate)
        {
            data[0] = offset switch
            {
                0 => readIsr ? isr : irr,
                1 => imr,
                _ => Unhandled(),
            };
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        var value = data[0];
        lock (pair.Gate)
        {
            if (offset == 0)
            {
                WriteCommand(value);
            }
            else if (offset == 1)
            {
                WriteData(value);
            }
            else
            {
                Interlocked.Increment(ref unhandled);
            }
        }
        pair.OutputsChanged();
    }

    private void WriteCommand(byte value)
    {
        if ((value & Icw1) != 0)
        {
            irr = isr = 0;
            imr = 0;
            levels = 0;
            readIsr = false;
            autoEoi = false;
            needIcw4 = (value & Icw1NeedIcw4) != 0;
            single = (value & Icw1Single) != 0;
            initStep = 2;
            return;
        }
        if ((value & Ocw3) != 0)
        {
            if ((value & Ocw3ReadSelect) != 0)
            {
                readIsr = (value & 1) != 0;
            }
            return;
        }
        // OCW2: bits 7-5 select the EOI kind; rotation modes are taken as their plain EOI.
        switch (value >> 5)
        {
            case 1 or 5:    // non-specific EOI: clear the highest-priority in-service bit
                for (var line = 0; line < 8; line++)
                {
                    if ((isr & (1 << line)) != 0)
                    {
                        isr &= (byte)~(1 << line);
                        break;
                    }
                }
                break;
            case 3 or 7:    // specific EOI of line value & 7
                isr &= (byte)~(1 << (value & 7));
                break;
            default:
                Interlocked.Increment(ref unhandled);
                break;
        }
    }

    private void WriteData(byte value)
    {
        switch (initStep)
        {
            case 2:
                vectorBase = (byte)(value & 0xf8);
                initStep = single ? (needIcw4 ? 4 : 0) : 3;
                break;
            case 3:     // cascade wiring: fixed in this machine (slave on master IR2)
                initStep = needIcw4 ? 4 : 0;
                break;
            case 4:
                autoEoi = (value & Icw4AutoEoi) != 0;
                initStep = 0;
                break;
            default:
                imr = value;
                break;
        }
    }

    private byte Unhandled()
    {
        Interlocked.Increment(ref unhandled);
        return 0xff;
    }
}
