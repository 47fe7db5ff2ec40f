using System.Buffers.Binary;
using System.Text;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;

namespace VirtTools.Tests.Machine.Loaders;

/// <summary>
/// The MP table as an OS reads it (Linux mpparse.c's order): find "_MP_" on a 16-byte boundary in
/// 0xf0000-0xfffff, check the floating pointer's checksum, follow it to "PCMP", check that checksum,
/// then walk the entries.
/// </summary>
public sealed class MpTableTests : IDisposable
{
    private readonly GuestMemory memory = GuestMemory.Create(16UL << 20);

    public void Dispose() => memory.Dispose();

    private ulong FindFloatingPointer()
    {
        for (var address = 0xf0000UL; address < 0x100000; address += 16)
        {
            if (memory.ReadUInt32(address) == BinaryPrimitives.ReadUInt32LittleEndian("_MP_"u8))
            {
                return address;
            }
        }
        throw new Xunit.Sdk.XunitException("no _MP_ floating pointer in 0xf0000-0xfffff");
    }

    private static int Sum(ReadOnlySpan<byte> bytes)
    {
        var sum = 0;
        foreach (var b in bytes)
        {
            sum += b;
        }
        return sum & 0xff;
    }

    private (byte[] Pointer, byte[] Table) Read()
    {
        var at = FindFloatingPointer();
        var pointer = memory.Span(at, 16).ToArray();
        var tableAddress = BinaryPrimitives.ReadUInt32LittleEndian(pointer.AsSpan(4));
        var length = memory.ReadUInt16(tableAddress + 4);
        return (pointer, memory.Span(tableAddress, length).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(254)]
    public void FloatingPointerAndTableCarryValidChecksumsAndHeader(int processors)
    {
        MpTable.Write(memory, processors, 0x000806f8, 0x178bfbff);
        var (pointer, table) = Read();
        Assert.Equal(MachineLayout.MpFloatingPointer, FindFloatingPointer());
        Assert.Equal(0, Sum(pointer));
        Assert.Equal(1, pointer[8]);                // length in paragraphs
        Assert.Equal(4, pointer[9]);                // spec 1.4
        Assert.Equal(0, pointer[11]);               // feature byte 1: a configuration table follows
        Assert.Equal((uint)MachineLayout.MpConfigurationTable, BinaryPrimitives.ReadUInt32LittleEndian(pointer.AsSpan(4)));

        Assert.Equal("PCMP", Encoding.ASCII.GetString(table, 0, 4));
        Assert.Equal(0, Sum(table));
        Assert.Equal(MpTable.ConfigurationTableSize(processors), table.Length);
        Assert.Equal(4, table[6]);
        Assert.Equal("VIRTTOOL", Encoding.ASCII.GetString(table, 8, 8));
        Assert.Equal((uint)MachineLayout.LocalApic, BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(36)));
        Assert.Equal(processors + 2 + 16 + 2, BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(34)));
        Assert.InRange(MachineLayout.MpConfigurationTable + (ulong)table.Length, 0xf0000UL, 0x100000UL);
    }

    [Fact]
    public void EntriesDescribeProcessorsBusIoApicAndInterrupts()
    {
        MpTable.Write(memory, 3, 0x000806f8, 0x178bfbff);
        var (_, table) = Read();
        var count = BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(34));
        var processors = new List<(byte Id, byte Flags, uint Signature)>();
        var buses = new List<(byte Id, string Type)>();
        var ioapics = new List<(byte Id, byte Flags, uint Address)>();
        var ioInterrupts = new List<(byte Type, byte Bus, byte Irq, byte Apic, byte Pin)>();
        var localInterrupts = new List<(byte Type, byte Apic, byte Lint)>();
        var at = 44;
        var lastType = 0;
        for (var i = 0; i < count; i++)
        {
            var type = table[at];
            Assert.True(type >= lastType, "entries are sorted by type, as the spec asks");
            lastType = type;
            switch (type)
            {
                case MpTable.ProcessorEntry:
                    Assert.Equal(MpTable.LocalApicVersion, table[at + 2]);
                    Assert.Equal(0x178bfbffu, BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(at + 8)));
                    processors.Add((table[at + 1], table[at + 3], BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(at + 4))));
                    at += 20;
                    break;
                case MpTable.BusEntry:
                    buses.Add((table[at + 1], Encoding.ASCII.GetString(table, at + 2, 6)));
                    at += 8;
                    break;
                case MpTable.IoApicEntry:
                    Assert.Equal(MpTable.IoApicVersion, table[at + 2]);
                    ioapics.Add((table[at + 1], table[at + 3], BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(at + 4))));
                    at += 8;
                    break;
                case MpTable.IoInterruptEntry:
                    Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(at + 2)));   // conforms to the ISA bus
                    ioInterrupts.Add((table[at + 1], table[at + 4], table[at + 5], table[at + 6], table[at + 7]));
                    at += 8;
                    break;
                case MpTable.LocalInterruptEntry:
                    localInterrupts.Add((table[at + 1], table[at + 6], table[at + 7]));
                    at += 8;
                    break;
                default:
                    throw new Xunit.Sdk.XunitException($"unknown entry type {type} at offset {at}");
            }
        }
        Assert.Equal(table.Length, at);

        (byte, byte, uint)[] expectedProcessors = [(0, 3, 0x806f8), (1, 1, 0x806f8), (2, 1, 0x806f8)];
        Assert.Equal(expectedProcessors, processors);                                    // only vCPU 0 has the BSP flag
        Assert.Equal(new[] { ((byte)0, "ISA   ") }, buses);
        Assert.Equal(new[] { ((byte)3, (byte)1, (uint)MachineLayout.IoApic) }, ioapics);  // id after the processors', enabled
        var irqs = Enumerable.Range(0, 16).Select(irq => ((byte)0, (byte)0, (byte)irq, (byte)3, (byte)irq));
        Assert.Equal(irqs, ioInterrupts);                                                 // ISA IRQ n -> INTIN n of IOAPIC 3
        (byte, byte, byte)[] expectedLocal = [(MpTable.InterruptExtInt, 0, 0), (MpTable.InterruptNmi, 0xff, 1)];
        Assert.Equal(expectedLocal, localInterrupts);
    }

    [Fact]
    public void NoProcessorsOrTooManyAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MpTable.Write(memory, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MpTable.Write(memory, 255, 0, 0));
    }
}
