using VirtTools.Machine.Devices;

namespace VirtTools.Tests.Machine.Devices;

/// <summary>Programs the 8259 pair with the ICW/OCW sequence the test guests and Linux use.</summary>
public sealed class PicPairTests
{
    private readonly PicPair pic = new();

    private void Initialise(byte masterMask = 0x00, byte slaveMask = 0x00)
    {
        foreach (var (chip, vector, cascade, mask) in new[] { (pic.Master, (byte)0x20, (byte)4, masterMask), (pic.Slave, (byte)0x28, (byte)2, slaveMask) })
        {
            chip.Out(0, 0x11);
            chip.Out(1, vector);
            chip.Out(1, cascade);
            chip.Out(1, 0x01);
            chip.Out(1, mask);
        }
    }

    [Fact]
    public void AnUnmaskedEdgeIsDeliveredWithTheProgrammedVector()
    {
        Initialise();
        pic.Line(4).Set(true);
        Assert.True(pic.HasPending);
        Assert.Equal(0x24, pic.Acknowledge());
        Assert.False(pic.HasPending);
        Assert.Equal(0x10, pic.Master.In(0) is var _ ? ReadIsr() : 0);
    }

    private byte ReadIsr()
    {
        pic.Master.Out(0, 0x0b);
        var isr = pic.Master.In(0);
        pic.Master.Out(0, 0x0a);
        return isr;
    }

    [Fact]
    public void MaskedLinesWaitUntilUnmasked()
    {
        Initialise(masterMask: 0xff);
        pic.Line(0).Set(true);
        Assert.False(pic.HasPending);
        pic.Master.Out(1, 0xfe);
        Assert.True(pic.HasPending);
        Assert.Equal(0x20, pic.Acknowledge());
    }

    [Fact]
    public void InServiceBlocksLowerPriorityUntilEoi()
    {
        Initialise();
        pic.Line(0).Set(true);
        Assert.Equal(0x20, pic.Acknowledge());
        pic.Line(4).Set(true);
        Assert.False(pic.HasPending);
        pic.Master.Out(0, 0x20);
        Assert.True(pic.HasPending);
        Assert.Equal(0x24, pic.Acknowledge());
    }

    [Fact]
    public void SlaveLinesArriveThroughTheCascade()
    {
        Initialise();
        pic.Line(8).Set(true);
        Assert.True(pic.HasPending);
        Assert.Equal(0x28, pic.Acknowledge());
    }

    [Fact]
    public void OnlyEdgesRequestInterrupts()
    {
        Initialise();
        pic.Line(1).Set(true);
        Assert.Equal(0x21, pic.Acknowledge());
        pic.Master.Out(0, 0x20);
        pic.Line(1).Set(true);
        Assert.False(pic.HasPending);
        pic.Line(1).Set(false);
        pic.Line(1).Set(true);
        Assert.True(pic.HasPending);
    }

    [Fact]
    public void RaisedFiresWhenALineGoesUp()
    {
        Initialise();
        var raised = 0;
        pic.Raised += () => raised++;
        pic.Line(3).Set(true);
        Assert.True(raised >= 1);
    }
}
