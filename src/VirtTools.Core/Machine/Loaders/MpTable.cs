using System.Buffers.Binary;
using System.Text;

namespace VirtTools.Machine.Loaders;

/// <summary>
/// The Intel MultiProcessor Specification 1.4 tables a BIOS leaves for the operating system, so a
/// guest without ACPI finds its processors, the IOAPIC and how the ISA interrupts reach it (Linux:
/// arch/x86/kernel/mpparse.c scans 0xf0000-0xfffff for the floating pointer). Layout after the
/// spec's chapter 4 and kvmtool's x86/mptable.c: a 16-byte floating pointer at
/// <see cref="MachineLayout.MpFloatingPointer"/>, then the configuration table with, in the order
/// the spec asks for, one processor entry per vCPU (APIC id = vCPU index, vCPU 0 the BSP), the ISA
/// bus, the IOAPIC, one I/O interrupt entry per ISA IRQ (0-15) and the two local interrupt entries
/// of virtual-wire mode (Firecracker's arch/x86_64/mptable.rs writes the same set). Only written for machines whose interrupt controllers are KVM's in-kernel ones.
/// </summary>
public static class MpTable
{
    // ---- Entry types and sizes (MP spec 1.4, tables 4-3 to 4-12) -------------------------------

    public const byte ProcessorEntry = 0, BusEntry = 1, IoApicEntry = 2, IoInterruptEntry = 3, LocalInterruptEntry = 4;

    public const int FloatingPointerSize = 16, HeaderSize = 44, ProcessorEntrySize = 20, OtherEntrySize = 8;

    /// <summary>Interrupt types of the I/O and local interrupt entries.</summary>
    public const byte InterruptInt = 0, InterruptNmi = 1, InterruptExtInt = 3;

    /// <summary>Processor entry flags: bit 0 usable, bit 1 the bootstrap processor.</summary>
    public const byte CpuEnabled = 1, CpuBootstrap = 2;

    /// <summary>MP spec revision 1.4.</summary>
    private const byte SpecRevision = 4;

    /// <summary>Version register of KVM's in-kernel local APIC (arch/x86/kvm/lapic.c APIC_VERSION).</summary>
    public const byte LocalApicVersion = 0x14;

    /// <summary>Version register of KVM's in-kernel IOAPIC (arch/x86/kvm/ioapic.h IOAPIC_VERSION_ID).</summary>
    public const byte IoApicVersion = 0x11;

    /// <summary>The ISA bus's id in the bus entry, referred to by the interrupt entries.</summary>
    public const byte IsaBus = 0;

    /// <summary>Destination APIC id 0xff in a local interrupt entry: every local APIC.</summary>
    public const byte AllLocalApics = 0xff;

    /// <summary>ISA IRQs with an I/O interrupt entry: all 16 lines of the two 8259s.</summary>
    public const int IsaIrqs = 16;

    /// <summary>Bytes of the configuration table for <paramref name="processors"/> processors.</summary>
    public static int ConfigurationTableSize(int processors) =>
        HeaderSize + processors * ProcessorEntrySize + (2 + IsaIrqs + 2) * OtherEntrySize;

    /// <summary>The IOAPIC's id in the table: the first id after the processors' (ids must be unique across APICs).</summary>
    public static byte IoApicId(int processors) => (byte)processors;

    /// <summary>
    /// Writes the floating pointer and the configuration table for <paramref name="processors"/> vCPUs.
    /// <paramref name="cpuSignature"/> and <paramref name="featureFlags"/> are CPUID leaf 1's EAX and EDX,
    /// copied into each processor entry as the spec asks.
    /// </summary>
    public static void Write(GuestMemory memory, int processors, uint cpuSignature, uint featureFlags)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(processors, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(processors, 254);
        var table = new byte[ConfigurationTableSize(processors)];
        var entries = 0;
        var at = HeaderSize;
        for (var cpu = 0; cpu < processors; cpu++, entries++, at += ProcessorEntrySize)
        {
            var entry = table.AsSpan(at, ProcessorEntrySize);
            entry[0] = ProcessorEntry;
            entry[1] = (byte)cpu;                                   // local APIC id: KVM makes it the vCPU index
            entry[2] = LocalApicVersion;
            entry[3] = (byte)(CpuEnabled | (cpu == 0 ? CpuBootstrap : 0));
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], cpuSignature);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], featureFlags);
        }
        Other(table, ref at, ref entries, [BusEntry, IsaBus, .. "ISA   "u8]);
        var ioapic = IoApicId(processors);
        Span<byte> address = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(address, (uint)MachineLayout.IoApic);
        Other(table, ref at, ref entries, [IoApicEntry, ioapic, IoApicVersion, 1, .. address]);
        // KVM's default routing (arch/x86/kvm/irq_comm.c default_routing) sends GSI n to IOAPIC pin n
        // and 8259 input n alike, so ISA IRQ n is INTIN n. Flags 0: polarity and trigger as the ISA bus
        // defines them (active high, edge).
        for (byte irq = 0; irq < IsaIrqs; irq++)
        {
            Other(table, ref at, ref entries, [IoInterruptEntry, InterruptInt, 0, 0, IsaBus, irq, ioapic, irq]);
        }
        // Virtual wire: the 8259's INTR reaches the BSP's LINT0 as ExtINT (the only LAPIC KvmVcpu
        // configures so); NMI reaches LINT1 of every LAPIC.
        Other(table, ref at, ref entries, [LocalInterruptEntry, InterruptExtInt, 0, 0, IsaBus, 0, 0, 0]);
        Other(table, ref at, ref entries, [LocalInterruptEntry, InterruptNmi, 0, 0, IsaBus, 0, AllLocalApics, 1]);

        var header = table.AsSpan(0, HeaderSize);
        "PCMP"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)table.Length);
        header[6] = SpecRevision;
        Encoding.ASCII.GetBytes("VIRTTOOL").CopyTo(header[8..]);        // OEM id, 8 characters
        Encoding.ASCII.GetBytes("VirtTools MP").CopyTo(header[16..]);   // product id, 12 characters
        BinaryPrimitives.WriteUInt16LittleEndian(header[34..], (ushort)entries);
        BinaryPrimitives.WriteUInt32LittleEndian(header[36..], (uint)MachineLayout.LocalApic);
        header[7] = Checksum(table);

        var pointer = new byte[FloatingPointerSize];
        "_MP_"u8.CopyTo(pointer);
        BinaryPrimitives.WriteUInt32LittleEndian(pointer.AsSpan(4), (uint)MachineLayout.MpConfigurationTable);
        pointer[8] = FloatingPointerSize / 16;     // length in 16-byte paragraphs
        pointer[9] = SpecRevision;
        // Feature byte 1 = 0: a configuration table is present (no default configuration);
        // feature byte 2 bit 7 = 0: no IMCR, the PIC reaches the BSP in virtual-wire mode.
        pointer[10] = Checksum(pointer);

        memory.Write(MachineLayout.MpFloatingPointer, pointer);
        memory.Write(MachineLayout.MpConfigurationTable, table);
    }

    /// <summary>The byte that makes <paramref name="bytes"/> sum to zero (written into a zeroed checksum field).</summary>
    public static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (var b in bytes)
        {
            sum += b;
        }
        return (byte)-sum;
    }

    private static void Other(byte[] table, ref int at, ref int entries, ReadOnlySpan<byte> entry)
    {
        entry.CopyTo(table.AsSpan(at, OtherEntrySize));
        at += OtherEntrySize;
        entries++;
    }
}
