using VirtTools.Diagnostics;
using VirtTools.Machine;

namespace VirtTools.Tests.Machine;

public sealed class IoBusTests
{
    private sealed class Recorder(string name) : IBusDevice
    {
        public List<(string Op, ulong Offset, int Length)> Accesses { get; } = [];
        public string Name => name;
        public long UnhandledAccesses => 0;
        public void Read(ulong offset, Span<byte> data)
        {
            Accesses.Add(("read", offset, data.Length));
            data.Fill(0x42);
        }
        public void Write(ulong offset, ReadOnlySpan<byte> data) => Accesses.Add(("write", offset, data.Length));
    }

    [Fact]
    public void DevicesSeeOffsetsFromTheirBase()
    {
        var bus = new IoBus(BusKind.Port);
        var uart = new Recorder("uart");
        bus.Insert(uart, 0x3f8, 8);
        Span<byte> data = stackalloc byte[1];
        bus.Read(0x3fd, data);
        bus.Write(0x3f8, data);
        Assert.Equal([("read", 5UL, 1), ("write", 0UL, 1)], uart.Accesses);
        Assert.Equal(0x42, data[0]);
    }

    [Theory]
    [InlineData(0x3f0UL, 0x9UL)]
    [InlineData(0x3ffUL, 0x1UL)]
    [InlineData(0x3f9UL, 0x2UL)]
    public void OverlappingRangesAreATypedError(ulong start, ulong length)
    {
        var bus = new IoBus(BusKind.Port);
        bus.Insert(new Recorder("uart"), 0x3f8, 8);
        var e = Assert.Throws<VirtToolsException>(() => bus.Insert(new Recorder("other"), start, length));
        Assert.Equal("BusRangeOverlap", e.ErrorId);
        Assert.Contains("uart", e.Message);
    }

    [Fact]
    public void AdjacentRangesAreFine()
    {
        var bus = new IoBus(BusKind.Port);
        bus.Insert(new Recorder("a"), 0x20, 2);
        bus.Insert(new Recorder("b"), 0x22, 2);
        bus.Insert(new Recorder("c"), 0x1e, 2);
        Assert.Equal(3, bus.Ranges.Count);
    }

    [Fact]
    public void RangesInsertedInAnyOrderStaySortedAndResolve()
    {
        var bus = new IoBus(BusKind.Port);
        foreach (var (name, start) in new[] { ("pic", 0x20UL), ("uart", 0x3f8UL), ("pit", 0x40UL), ("dma", 0x0UL), ("cmos", 0x70UL) })
        {
            bus.Insert(new Recorder(name), start, 2);
        }
        Assert.Equal([0x0UL, 0x20UL, 0x40UL, 0x70UL, 0x3f8UL], bus.Ranges.Select(r => r.Base));
        foreach (var (address, name) in new[] { (0x1UL, "dma"), (0x21UL, "pic"), (0x41UL, "pit"), (0x70UL, "cmos"), (0x3f9UL, "uart") })
        {
            Assert.True(bus.TryResolve(address, out var device, out var offset));
            Assert.Equal(name, device.Name);
            Assert.Equal(address & 1, offset);
        }
        Assert.False(bus.TryResolve(0x30, out _, out _));
    }

    [Fact]
    public void UnclaimedAccessesReadAllOnesAndAreCounted()
    {
        var bus = new IoBus(BusKind.Mmio);
        Span<byte> data = stackalloc byte[4];
        bus.Read(0xd000_1000, data);
        bus.Write(0xd000_1000, data);
        bus.Write(0x1234, data);
        Assert.Equal([0xff, 0xff, 0xff, 0xff], data.ToArray());
        Assert.Equal(1, bus.UnhandledReads);
        Assert.Equal(2, bus.UnhandledWrites);
    }

    [Fact]
    public void EmptyRangesAreRefused()
    {
        var e = Assert.Throws<VirtToolsException>(() => new IoBus(BusKind.Port).Insert(new Recorder("x"), 0x10, 0));
        Assert.Equal("BusRangeInvalid", e.ErrorId);
    }
}
