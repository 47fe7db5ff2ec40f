namespace VirtTools.Machine.Devices;

/// <summary>
/// The i8042 keyboard controller, as much as a VMM needs (after Firecracker's devices/legacy/i8042.rs):
/// the status port, the controller command byte, and the reset line (command 0xfe, what Linux's
/// <c>reboot=k</c> writes). Sits at 0x60-0x64; offset 1 (port 0x61) is the PC's port B (speaker gate
/// and refresh toggle), answered here because it shares the range. No keyboard is attached.
/// </summary>
public sealed class I8042 : IBusDevice
{
    /// <summary>Ports 0x60-0x64.</summary>
    public const ulong Length = 5;

    private const int DataOffset = 0;        // 0x60
    private const int PortBOffset = 1;       // 0x61
    private const int CommandOffset = 4;     // 0x64 (status on read)

    private const byte CmdReadControl = 0x20;
    private const byte CmdWriteControl = 0x60;
    private const byte CmdDisableAux = 0xa7;
    private const byte CmdEnableAux = 0xa8;
    private const byte CmdTestAux = 0xa9;    // answers 0: port OK
    private const byte CmdSelfTest = 0xaa;   // answers 0x55: controller OK
    private const byte CmdTestKeyboard = 0xab;
    private const byte CmdDisableKeyboard = 0xad;
    private const byte CmdEnableKeyboard = 0xae;
    private const byte CmdWriteOutputPort = 0xd1;
    private const byte CmdPulseReset = 0xfe;
    private const byte StatusOutputFull = 0x01;
    private const byte StatusSystemFlag = 0x04; // POST passed
    private const byte StatusCommand = 0x08;    // last write was to 0x64
    private const byte PortBRefresh = 0x10;     // toggles on every read, as DRAM refresh did

    private readonly object gate = new();
    /// <summary>Called on the vCPU thread when the guest pulls the reset line.</summary>
    private readonly Action reset;
    /// <summary>Controller command byte (0x20/0x60).</summary>
    private byte control = 0x07;
    /// <summary>The command waiting for its data byte on 0x60, or 0.</summary>
    private byte pendingCommand;
    /// <summary>The byte the guest reads next from 0x60, if <see cref="outputFull"/>.</summary>
    private byte output;
    private bool outputFull;
    private byte status = StatusSystemFlag;
    /// <summary>Port B as last written (speaker data, PIT channel 2 gate); the refresh bit toggles.</summary>
    private byte portB;
    private long unhandled;

    public I8042(Action reset) => this.reset = reset;

    public string Name => "i8042";

    public long UnhandledAccesses => Interlocked.Read(ref unhandled);

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0xff);
        lock (gate)
        {
            switch (offset)
            {
                case DataOffset:
                    data[0] = output;
                    outputFull = false;
                    break;
                case PortBOffset:
                    portB ^= PortBRefresh;
                    data[0] = portB;
                    break;
                case CommandOffset:
                    data[0] = (byte)(status | (outputFull ? StatusOutputFull : 0));
                    break;
                default:
                    Interlocked.Increment(ref unhandled);
                    break;
            }
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        var value = data[0];
        var pulseReset = false;
        lock (gate)
        {
            switch (offset)
            {
                case CommandOffset:
                    status |= StatusCommand;
                    pulseReset = Command(value);
                    break;
                case DataOffset:
                    status &= unchecked((byte)~StatusCommand);
                    pulseReset = Data(value);
                    break;
                case PortBOffset:
                    portB = (byte)(value & 0x0f);
                    break;
                default:
                    Interlocked.Increment(ref unhandled);
                    break;
            }
        }
        if (pulseReset)
        {
            reset();
        }
    }

    private bool Command(byte command)
    {
        switch (command)
        {
            case CmdReadControl:
                Respond(control);
                return false;
            case CmdWriteControl or CmdWriteOutputPort:
                pendingCommand = command;
                return false;
            case CmdSelfTest:
                Respond(0x55);
                return false;
            case CmdTestAux or CmdTestKeyboard:
                Respond(0x00);
                return false;
            case CmdDisableAux or CmdEnableAux or CmdDisableKeyboard or CmdEnableKeyboard:
                return false;
            case CmdPulseReset:
                return true;
            default:
                Interlocked.Increment(ref unhandled);
                return false;
        }
    }

    private bool Data(byte value)
    {
        var command = pendingCommand;
        pendingCommand = 0;
        switch (command)
        {
            case CmdWriteControl:
                control = value;
                return false;
            case CmdWriteOutputPort:
                // Output port bit 0 is the CPU reset line, active low.
                return (value & 1) == 0;
            default:
                // A byte meant for the keyboard: none is attached, so it goes nowhere.
                return false;
        }
    }

    private void Respond(byte value)
    {
        output = value;
        outputFull = true;
    }
}
