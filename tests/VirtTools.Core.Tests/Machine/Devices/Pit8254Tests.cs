using VirtTools.Machine.Devices;

namespace VirtTools.Tests.Machine.Devices;

/// <summary>Programs the PIT through ports 0x40-0x43 as a guest does and watches IRQ 0.</summary>
public sealed class Pit8254Tests
{
    [Fact]
    public void RateGeneratorRaisesPeriodicInterrupts()
    {
        var irq = new RecordingLine();
        using var pit = new Pit8254(irq);
        pit.Out(3, 0x34);
        pit.Out(0, 11932 & 0xff);      // 100 Hz
        pit.Out(0, 11932 >> 8);
        Thread.Sleep(250);
        Assert.InRange(pit.InterruptsRaised, 10, 40);
    }

    [Fact]
    public void CountsDownAndLatchesForReading()
    {
        using var pit = new Pit8254(new RecordingLine());
        pit.Out(3, 0xb4);              // channel 2, lo/hi, mode 2
        pit.Out(2, 0xff);
        pit.Out(2, 0xff);
        Thread.Sleep(5);
        pit.Out(3, 0x80);              // latch channel 2
        var count = pit.In(2) | (pit.In(2) << 8);
        Assert.InRange(count, 1, 0xffff - 1000);
    }

    [Fact]
    public void NoInterruptsBeforeACountIsWritten()
    {
        var irq = new RecordingLine();
        using var pit = new Pit8254(irq);
        pit.Out(3, 0x34);
        Thread.Sleep(50);
        Assert.Equal(0, pit.InterruptsRaised);
    }

    [Fact]
    public void ReadingTheModeRegisterIsCounted()
    {
        using var pit = new Pit8254(new RecordingLine());
        Assert.Equal(0xff, pit.In(3));
        Assert.Equal(1, pit.UnhandledAccesses);
    }
}
