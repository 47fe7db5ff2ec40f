namespace VirtTools.Machine.Devices;

/// <summary>
/// A 16550A UART (COM1 at 0x3f8, IRQ 4). Register offsets and bits from the National Semiconductor
/// PC16550D data sheet; the interrupt rules (transmit-empty raised when THRI is enabled with THR empty
/// and cleared by reading IIR, receive raised while data is ready) are the ones Linux's 8250 driver
/// relies on. Output goes to a sink at once (no baud-rate pacing); input is queued by
/// <see cref="Enqueue"/> from any thread.
/// </summary>
public sealed class Uart16550 : IBusDevice
{
    /// <summary>Eight registers, ports base..base+7.</summary>
    public const ulong Length = 8;

    private const int DataOffset = 0;        // RBR (read) / THR (write); DLL when LCR.DLAB
    private const int IerOffset = 1;         // interrupt enable; DLM when LCR.DLAB
    private const int IirFcrOffset = 2;      // IIR (read) / FCR (write)
    private const int LcrOffset = 3;
    private const int McrOffset = 4;
    private const int LsrOffset = 5;
    private const int MsrOffset = 6;
    private const int ScrOffset = 7;

    private const byte IerReceive = 0x01;    // ERBFI: received data available
    private const byte IerTransmit = 0x02;   // ETBEI: THR empty
    private const byte IirNone = 0x01;
    private const byte IirTransmitEmpty = 0x02;
    private const byte IirReceive = 0x04;
    private const byte IirFifoEnabled = 0xc0;
    private const byte LcrDlab = 0x80;
    private const byte McrLoopback = 0x10;
    private const byte LsrDataReady = 0x01;
    private const byte LsrThrEmpty = 0x20;   // THRE
    private const byte LsrTransmitterEmpty = 0x40; // TEMT
    private const byte MsrConnected = 0xb0;  // DCD, DSR, CTS: a terminal is always attached
    private const int ReceiveCapacity = 4096;

    private readonly object gate = new();
    /// <summary>Where transmitted bytes go (the machine's output buffer and any attached console).</summary>
    private readonly Action<byte> transmit;
    private readonly IInterruptLine irq;
    /// <summary>Bytes received from the host side, not yet read by the guest.</summary>
    private readonly Queue<byte> receive = new();
    /// <summary>Interrupt enable register.</summary>
    private byte ier;
    /// <summary>Line control register (word length, DLAB).</summary>
    private byte lcr;
    /// <summary>Modem control register (DTR, RTS, OUT1, OUT2, loopback).</summary>
    private byte mcr;
    /// <summary>FIFO control as last written; bit 0 enables the FIFOs.</summary>
    private byte fcr;
    /// <summary>Scratch register, guest-owned.</summary>
    private byte scr;
    /// <summary>Divisor latch, low and high byte: stored for the guest, not used for pacing.</summary>
    private byte dll = 0x0c, dlm;
    /// <summary>Transmit-empty interrupt armed: set when THR empties or THRI is enabled, cleared by reading IIR.</summary>
    private bool transmitEmptyPending;
    /// <summary>The level last driven on the interrupt line.</summary>
    private bool irqLevel;
    private long unhandled;

    public Uart16550(Action<byte> transmit, IInterruptLine irq)
    {
        this.transmit = transmit;
        this.irq = irq;
    }

    public string Name => "COM1";

    public long UnhandledAccesses => Interlocked.Read(ref unhandled);

    /// <summary>Queues host input for the guest (console keystrokes); drops what does not fit.</summary>
    public void Enqueue(ReadOnlySpan<byte> input)
    {
        lock (gate)
        {
            foreach (var b in input)
            {
                if (receive.Count < ReceiveCapacity)
                {
                    receive.Enqueue(b);
                }
            }
            UpdateInterrupt();
        }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0);
        if (data.Length != 1)
        {
            Interlocked.Increment(ref unhandled);
            data.Fill(0xff);
            return;
        }
        lock (gate)
        {
            data[0] = offset switch
            {
                DataOffset when (lcr & LcrDlab) != 0 => dll,
                DataOffset => ReadReceive(),
                IerOffset when (lcr & LcrDlab) != 0 => dlm,
                IerOffset => ier,
                IirFcrOffset => ReadIir(),
                LcrOffset => lcr,
                McrOffset => mcr,
                LsrOffset => (byte)(LsrThrEmpty | LsrTransmitterEmpty | (receive.Count > 0 ? LsrDataReady : 0)),
                MsrOffset => (mcr & McrLoopback) != 0 ? LoopbackModemStatus() : MsrConnected,
                ScrOffset => scr,
                _ => Unhandled(),
            };
            UpdateInterrupt();
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length != 1)
        {
            Interlocked.Increment(ref unhandled);
            return;
        }
        var value = data[0];
        lock (gate)
        {
            switch (offset)
            {
                case DataOffset when (lcr & LcrDlab) != 0:
                    dll = value;
                    break;
                case DataOffset:
                    WriteTransmit(value);
                    break;
                case IerOffset when (lcr & LcrDlab) != 0:
                    dlm = value;
                    break;
                case IerOffset:
                    // Enabling THRI while THR is empty raises the interrupt at once (what 8250 drivers test for).
                    if ((value & IerTransmit) != 0 && (ier & IerTransmit) == 0)
                    {
                        transmitEmptyPending = true;
                    }
                    ier = (byte)(value & 0x0f);
                    break;
                case IirFcrOffset:
                    fcr = value;
                    if ((value & 0x02) != 0)
                    {
                        receive.Clear();
                    }
                    break;
                case LcrOffset:
                    lcr = value;
                    break;
                case McrOffset:
                    mcr = (byte)(value & 0x1f);
                    break;
                case ScrOffset:
                    scr = value;
                    break;
                default:
                    Interlocked.Increment(ref unhandled);
                    break;
            }
            UpdateInterrupt();
        }
    }

    private void WriteTransmit(byte value)
    {
        if ((mcr & McrLoopback) != 0)
        {
            receive.Enqueue(value);
        }
        else
        {
            transmit(value);
        }
        transmitEmptyPending = true;
    }

    private byte ReadReceive() => receive.Count > 0 ? receive.Dequeue() : (byte)0;

    private byte ReadIir()
    {
        var fifo = (fcr & 1) != 0 ? IirFifoEnabled : (byte)0;
        var cause = CurrentCause();
        if (cause == IirTransmitEmpty)
        {
            transmitEmptyPending = false;
        }
        return (byte)(cause | fifo);
    }

    private byte CurrentCause()
    {
        if ((ier & IerReceive) != 0 && receive.Count > 0)
        {
            return IirReceive;
        }
        if ((ier & IerTransmit) != 0 && transmitEmptyPending)
        {
            return IirTransmitEmpty;
        }
        return IirNone;
    }

    private byte LoopbackModemStatus() =>
        // In loopback the modem inputs follow the outputs: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
        (byte)(((mcr & 0x02) << 3) | ((mcr & 0x01) << 5) | ((mcr & 0x04) << 4) | ((mcr & 0x08) << 4));

    private byte Unhandled()
    {
        Interlocked.Increment(ref unhandled);
        return 0xff;
    }

    private void UpdateInterrupt()
    {
        // Only edges reach the controller: an unchanged level costs no KVM_IRQ_LINE.
        var level = CurrentCause() != IirNone;
        if (level != irqLevel)
        {
            irqLevel = level;
            irq.Set(level);
        }
    }
}
