using VirtTools.Accelerators;

namespace VirtTools.Machine.Devices;

/// <summary>
/// The PC's two cascaded 8259s (master at 0x20, slave at 0xa0 on master IR2): the user-space interrupt
/// controller for accelerators without one (the emulator, KVM with in-kernel devices off). Devices drive
/// ISA lines 0-15 through <see cref="Line"/>; the vCPU takes vectors through
/// <see cref="IInterruptAcknowledge"/>. Lock order: <see cref="Gate"/> is the innermost lock, taken by
/// both chips and by line changes; <see cref="Raised"/> runs outside it.
/// </summary>
public sealed class PicPair : IInterruptAcknowledge
{
    internal readonly object Gate = new();

    public PicPair()
    {
        Master = new Pic8259(this, "PIC master");
        Slave = new Pic8259(this, "PIC slave");
    }

    public Pic8259 Master { get; }

    public Pic8259 Slave { get; }

    /// <summary>Raised (outside the lock) when the INTR output may have gone up: wake or kick the vCPU.</summary>
    public event Action? Raised;

    public bool HasPending
    {
        get
        {
            lock (Gate)
            {
                return Master.HasOutput;
            }
        }
    }

    /// <summary>An interrupt line for ISA IRQ <paramref name="irq"/> (0-15).</summary>
    public IInterruptLine Line(int irq) => new PicLine(this, irq);

    public byte Acknowledge()
    {
        lock (Gate)
        {
            var line = Master.Acknowledge();
            if (line == MachineLayout.CascadeIrq)
            {
                var slaveLine = Slave.Acknowledge();
                Master.SetLevel(MachineLayout.CascadeIrq, Slave.HasOutput);
                return (byte)(Slave.VectorBase + (slaveLine < 0 ? 7 : slaveLine));
            }
            return (byte)(Master.VectorBase + (line < 0 ? 7 : line));
        }
    }

    internal void SetIrq(int irq, bool level)
    {
        lock (Gate)
        {
            if (irq < 8)
            {
                Master.SetInput(irq, level);
            }
            else
            {
                Slave.SetInput(irq - 8, level);
            }
            Master.SetLevel(MachineLayout.CascadeIrq, Slave.HasOutput);
        }
        if (level)
        {
            Raised?.Invoke();
        }
    }

    /// <summary>A chip's registers changed (unmask, EOI): the output may have risen.</summary>
    internal void OutputsChanged()
    {
        lock (Gate)
        {
            Master.SetLevel(MachineLayout.CascadeIrq, Slave.HasOutput);
        }
        Raised?.Invoke();
    }

    private sealed class PicLine(PicPair pair, int irq) : IInterruptLine
    {
        public void Set(bool level) => pair.SetIrq(irq, level);
    }
}
