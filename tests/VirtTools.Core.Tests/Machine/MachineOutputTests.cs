using VirtTools.Machine;

namespace VirtTools.Tests.Machine;

/// <summary>The console's kept output read by offset, as Enter-VirtMachine and the VMM's output request read it.</summary>
public sealed class MachineOutputTests
{
    [Fact]
    public void ReadsFromAnOffsetAndSaysWhereToContinue()
    {
        var output = new MachineOutput();
        foreach (var b in "echo> hi"u8.ToArray())
        {
            output.Append(b);
        }
        var (all, end) = output.ReadFrom(0);
        Assert.Equal("echo> hi"u8.ToArray(), all);
        Assert.Equal(8, end);
        Assert.Equal("hi"u8.ToArray(), output.ReadFrom(6).Data);
        // Past the end: nothing, and the offset to come back with is the end.
        Assert.Equal((0, 8L), (output.ReadFrom(100).Data.Length, output.ReadFrom(100).Next));
    }

    [Fact]
    public void AnOffsetOlderThanWhatIsKeptStartsAtTheOldestKeptByte()
    {
        var output = new MachineOutput();
        for (var i = 0; i < MachineOutput.Capacity + 10; i++)
        {
            output.Append((byte)(i % 251));
        }
        var (data, next) = output.ReadFrom(0);
        Assert.Equal(MachineOutput.Capacity, data.Length);
        Assert.Equal((byte)(10 % 251), data[0]);
        Assert.Equal(MachineOutput.Capacity + 10L, next);
    }

    [Fact]
    public async Task WaitPastReturnsWhenAByteArrivesAndTimesOutWithoutOne()
    {
        var output = new MachineOutput();
        Assert.False(output.WaitPast(0, TimeSpan.FromMilliseconds(50)));
        var writer = Task.Run(() =>
        {
            Thread.Sleep(100);
            output.Append((byte)'x');
        });
        Assert.True(output.WaitPast(0, TimeSpan.FromSeconds(30)));
        await writer.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(output.WaitPast(0, TimeSpan.Zero));
        Assert.False(output.WaitPast(1, TimeSpan.Zero));
    }
}
