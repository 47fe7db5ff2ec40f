using System.Diagnostics;

namespace VirtTools.Machine.Devices;

/// <summary>
/// The 8254 programmable interval timer (Intel 8254 data sheet), user-space model: three counters at
/// 1.193182 MHz, the mode/command register, counter latch, LSB/MSB access. Channel 0 drives IRQ 0 in
/// modes 0 (one shot), 2 (rate generator) and 3 (square wave) from its own timer thread (not the
/// thread pool, which a busy pwsh can starve); counts read back are computed from the host's
/// monotonic clock. Used when the accelerator has no PIT of its own (the
/// emulator) or the machine asks for user-space devices under KVM. Channel 0's rate is capped at
/// <see cref="MaxInterruptHz"/>: host timers cannot go faster and a guest gains nothing from it.
/// </summary>
public sealed class Pit8254 : IBusDevice, IDisposable
{
    /// <summary>Counters 0-2 at offsets 0-2, mode/command at offset 3.</summary>
    public const ulong Length = 4;

    /// <summary>Input clock of every counter, Hz (the PC's 14.31818 MHz crystal divided by 12).</summary>
    public const long InputHz = 1_193_182;

    public const int MaxInterruptHz = 1000;

    private const int CommandOffset = 3;
    private const byte AccessLatch = 0, AccessLow = 1, AccessHigh = 2, AccessWord = 3;

    private readonly object gate = new();
    private readonly IInterruptLine irq;
    private readonly Channel[] channels = [new(), new(), new()];
    /// <summary>Raises channel 0's IRQ 0 edges; started on the first count, ended by <see cref="Dispose"/>.</summary>
    private Thread? timerThread;
    /// <summary>Channel 0 is counting and will fire at <see cref="deadline"/>.</summary>
    private bool armed;
    /// <summary>Next IRQ 0 edge, in Stopwatch ticks.</summary>
    private long deadline;
    /// <summary>Period of channel 0 in Stopwatch ticks; 0 for a one-shot count.</summary>
    private long period;
    private bool disposed;
    private long unhandled;
    private long interrupts;

    public Pit8254(IInterruptLine irq) => this.irq = irq;

    public string Name => "PIT";

    public long UnhandledAccesses => Interlocked.Read(ref unhandled);

    /// <summary>IRQ 0 edges raised so far.</summary>
    public long InterruptsRaised => Interlocked.Read(ref interrupts);

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0xff);
        if (offset >= CommandOffset)
        {
            Interlocked.Increment(ref unhandled);    // the mode register is write-only
            return;
        }
        lock (gate)
        {
            data[0] = channels[offset].ReadByte();
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        var value = data[0];
        lock (gate)
        {
            if (offset == CommandOffset)
            {
                WriteCommand(value);
                return;
            }
            if (offset > CommandOffset)
            {
                Interlocked.Increment(ref unhandled);
                return;
            }
            if (channels[offset].WriteByte(value) && offset == 0)
            {
                Arm(channels[0]);
            }
        }
    }

    private void WriteCommand(byte value)
    {
        var select = value >> 6;
        if (select == 3)
        {
            // Read-back command: latch counts of the selected counters (bits 1-3) unless bit 5 says not to.
            for (var i = 0; i < 3; i++)
            {
                if ((value & (2 << i)) != 0 && (value & 0x20) == 0)
                {
                    channels[i].Latch();
                }
            }
            return;
        }
        var channel = channels[select];
        var access = (byte)((value >> 4) & 3);
        if (access == AccessLatch)
        {
            channel.Latch();
            return;
        }
        channel.Program(access, (byte)((value >> 1) & 7));
        if (select == 0)
        {
            armed = false;     // counting stops until the new count is written
        }
    }

    /// <summary>Starts channel 0 on its new count (caller holds <c>gate</c>).</summary>
    private void Arm(Channel channel)
    {
        if (disposed)
        {
            return;
        }
        var ticks = Math.Max(channel.Reload, InputHz / MaxInterruptHz);
        var interval = (long)(ticks * (double)Stopwatch.Frequency / InputHz);
        period = channel.Mode is 2 or 3 ? interval : 0;
        deadline = Stopwatch.GetTimestamp() + interval;
        armed = true;
        if (timerThread is null)
        {
            timerThread = new Thread(TimerLoop) { IsBackground = true, Name = "pit" };
            timerThread.Start();
        }
        Monitor.PulseAll(gate);
    }

    private void TimerLoop()
    {
        while (true)
        {
            lock (gate)
            {
                while (!disposed && (!armed || Stopwatch.GetTimestamp() < deadline))
                {
                    var wait = armed ? Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline) : Timeout.InfiniteTimeSpan;
                    Monitor.Wait(gate, wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
                }
                if (disposed)
                {
                    return;
                }
                // A late timer fires once and starts over: a guest gains nothing from a burst of stale ticks.
                var now = Stopwatch.GetTimestamp();
                armed = period > 0;
                deadline = now - deadline > period ? now + period : deadline + period;
            }
            Fire();
        }
    }

    private void Fire()
    {
        Interlocked.Increment(ref interrupts);
        irq.Set(true);
        irq.Set(false);
    }

    /// <summary>Stops raising interrupts without waiting for the timer thread (safe under other locks).</summary>
    public void Halt()
    {
        lock (gate)
        {
            disposed = true;
            Monitor.PulseAll(gate);
        }
    }

    public void Dispose()
    {
        Halt();
        Thread? thread;
        lock (gate)
        {
            thread = timerThread;
        }
        if (thread is not null && thread != Thread.CurrentThread)
        {
            thread.Join();
        }
    }

    /// <summary>One counter.</summary>
    private sealed class Channel
    {
        /// <summary>Counter mode 0-5 (6 and 7 alias 2 and 3).</summary>
        public int Mode;
        /// <summary>The count written by the guest; 0 means 65536.</summary>
        public long Reload = 65536;
        /// <summary>How the guest reads and writes the count: low byte, high byte or both in turn.</summary>
        private byte access = AccessWord;
        /// <summary>For word access: the next write (or read) is the high byte.</summary>
        private bool writeHigh, readHigh;
        private byte lowWritten;
        /// <summary>A latched count waiting to be read, or -1.</summary>
        private int latched = -1;
        /// <summary>When the current count started, in Stopwatch ticks.</summary>
        private long start = Stopwatch.GetTimestamp();

        public void Program(byte accessMode, byte mode)
        {
            access = accessMode;
            Mode = mode > 5 ? mode - 4 : mode;
            writeHigh = readHigh = false;
            latched = -1;
        }

        /// <summary>Takes one byte of the count; true when a full count was loaded.</summary>
        public bool WriteByte(byte value)
        {
            switch (access)
            {
                case AccessLow:
                    Load(value);
                    return true;
                case AccessHigh:
                    Load(value << 8);
                    return true;
                default:
                    if (!writeHigh)
                    {
                        lowWritten = value;
                        writeHigh = true;
                        return false;
                    }
                    writeHigh = false;
                    Load(lowWritten | (value << 8));
                    return true;
            }
        }

        public byte ReadByte()
        {
            var count = latched >= 0 ? latched : Current();
            switch (access)
            {
                case AccessLow:
                    latched = -1;
                    return (byte)count;
                case AccessHigh:
                    latched = -1;
                    return (byte)(count >> 8);
                default:
                    if (!readHigh)
                    {
                        readHigh = true;
                        return (byte)count;
                    }
                    readHigh = false;
                    latched = -1;
                    return (byte)(count >> 8);
            }
        }

        public void Latch()
        {
            if (latched < 0)
            {
                latched = Current();
            }
        }

        private void Load(int count)
        {
            Reload = count == 0 ? 65536 : count;
            start = Stopwatch.GetTimestamp();
        }

        private int Current()
        {
            var elapsed = (long)((Stopwatch.GetTimestamp() - start) * (double)InputHz / Stopwatch.Frequency);
            var value = Mode is 2 or 3 ? Reload - elapsed % Reload : Math.Max(0, Reload - elapsed);
            return (int)(value & 0xffff);
        }
    }
}
