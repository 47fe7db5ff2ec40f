using VirtTools.Machine.Devices;

namespace VirtTools.Tests.Machine.Devices;

public sealed class SmallDeviceTests
{
    [Fact]
    public void DebugExitReportsTheValueWritten()
    {
        uint? code = null;
        var port = new DebugExit(v => code = v);
        port.Write(0, [0x34, 0x12]);
        Assert.Equal(0x1234u, code);
    }

    [Fact]
    public void I8042PulsesResetOnCommandFe()
    {
        var resets = 0;
        var kbc = new I8042(() => resets++);
        Assert.Equal(0x04, kbc.In(4) & 0x04);
        kbc.Out(4, 0xfe);
        Assert.Equal(1, resets);
    }

    [Fact]
    public void I8042AnswersSelfTestAndKeepsTheCommandByte()
    {
        var kbc = new I8042(() => { });
        kbc.Out(4, 0xaa);
        Assert.Equal(1, kbc.In(4) & 1);
        Assert.Equal(0x55, kbc.In(0));
        kbc.Out(4, 0x60);
        kbc.Out(0, 0x45);
        kbc.Out(4, 0x20);
        Assert.Equal(0x45, kbc.In(0));
    }

    [Fact]
    public void I8042OutputPortBitZeroLowResets()
    {
        var resets = 0;
        var kbc = new I8042(() => resets++);
        kbc.Out(4, 0xd1);
        kbc.Out(0, 0xfe);
        Assert.Equal(1, resets);
    }

    [Fact]
    public void CmosReadsTheClockInBcdAndDescribesMemory()
    {
        var cmos = new CmosRtc(64UL << 20);
        cmos.Out(0, 0x09);
        var year = cmos.In(1);
        Assert.Equal(DateTime.UtcNow.Year % 100, (year >> 4) * 10 + (year & 0xf));
        cmos.Out(0, 0x0d);
        Assert.Equal(0x80, cmos.In(1));
        cmos.Out(0, 0x30);
        var low = cmos.In(1);
        cmos.Out(0, 0x31);
        Assert.Equal(63 * 1024, low | (cmos.In(1) << 8));
    }
}
