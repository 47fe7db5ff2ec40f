using VirtTools.Machine.Devices;

namespace VirtTools.Tests.Machine.Devices;

/// <summary>Drives the UART through its registers, as Linux's 8250 driver and the test guests do.</summary>
public sealed class Uart16550Tests
{
    private readonly List<byte> sent = [];
    private readonly RecordingLine irq = new();
    private readonly Uart16550 uart;

    public Uart16550Tests() => uart = new Uart16550(sent.Add, irq);

    [Fact]
    public void TransmitGoesToTheSinkAndLineStatusShowsTheTransmitterEmpty()
    {
        uart.Out(0, (byte)'A');
        Assert.Equal("A"u8.ToArray(), sent);
        Assert.Equal(0x60, uart.In(5));
    }

    [Fact]
    public void EnablingThriRaisesTheTransmitEmptyInterruptUntilIirIsRead()
    {
        uart.Out(1, 0x02);
        Assert.True(irq.Level);
        Assert.Equal(0x02, uart.In(2));
        Assert.False(irq.Level);
        Assert.Equal(0x01, uart.In(2));
        uart.Out(0, (byte)'x');
        Assert.True(irq.Level);
    }

    [Fact]
    public void ReceivedBytesRaiseTheReceiveInterruptWhileDataIsReady()
    {
        uart.Out(1, 0x01);
        Assert.False(irq.Level);
        uart.Enqueue("hi"u8);
        Assert.True(irq.Level);
        Assert.Equal(0x04, uart.In(2));
        Assert.Equal(0x61, uart.In(5));
        Assert.Equal((byte)'h', uart.In(0));
        Assert.Equal((byte)'i', uart.In(0));
        Assert.False(irq.Level);
        Assert.Equal(0x60, uart.In(5));
    }

    [Fact]
    public void DivisorLatchSharesOffsetsZeroAndOneUnderDlab()
    {
        uart.Out(3, 0x80);
        uart.Out(0, 0x01);
        uart.Out(1, 0x00);
        uart.Out(3, 0x03);
        Assert.Empty(sent);
        uart.Out(3, 0x80);
        Assert.Equal(0x01, uart.In(0));
    }

    [Fact]
    public void LoopbackReturnsWhatIsSentAndMirrorsModemLines()
    {
        uart.Out(4, 0x1f);
        uart.Out(0, 0x5a);
        Assert.Empty(sent);
        Assert.Equal(0x5a, uart.In(0));
        Assert.Equal(0xf0, uart.In(6));
    }

    [Fact]
    public void ScratchRegisterKeepsItsValueAndFifoShowsInIir()
    {
        uart.Out(7, 0xa5);
        Assert.Equal(0xa5, uart.In(7));
        uart.Out(2, 0x01);
        Assert.Equal(0xc1, uart.In(2));
    }

    [Fact]
    public void WideAccessesAreCountedNotThrown()
    {
        uart.Write(0, [1, 2]);
        Assert.Equal(1, uart.UnhandledAccesses);
    }
}
