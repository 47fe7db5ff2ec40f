namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// The CPUID table one vCPU gets: KVM_GET_SUPPORTED_CPUID with the processor's identity filled in,
/// as a BIOS-less firmware would leave it (Firecracker's cpuid normalisation, kvmtool's
/// x86/cpuid.c). The buffer is a <c>struct kvm_cpuid2</c>: nent, padding, then 40-byte
/// <c>kvm_cpuid_entry2</c> entries (function, index, flags, eax, ebx, ecx, edx, 3 words padding).
/// </summary>
internal static class KvmCpuid
{
    private const int HeaderSize = 8;
    private const int EntrySize = 40;
    private const int Function = 0, Eax = 12, Ebx = 16, Ecx = 20, Edx = 24;

    /// <summary>Leaf 1: EBX[31:24] initial APIC id, EBX[23:16] logical processors per package; EDX bit 28 HTT.</summary>
    private const uint Features = 1;
    private const uint HttBit = 1u << 28;

    /// <summary>Leaf 0xB (and 0x1F, its successor): extended topology; EDX of every sub-leaf is the x2APIC id.</summary>
    private const uint ExtendedTopology = 0xb;
    private const uint ExtendedTopologyV2 = 0x1f;

    /// <summary>
    /// A copy of <paramref name="supported"/> for vCPU <paramref name="apicId"/> of <paramref name="count"/>:
    /// the initial APIC id in leaf 1 and the x2APIC id in leaves 0xB/0x1F (the id the in-kernel LAPIC
    /// reports, which KVM takes from the vCPU index), and the logical-processor count with HTT when
    /// there is more than one, so a guest's topology enumeration finds the others.
    /// </summary>
    public static byte[] ForVcpu(byte[] supported, int apicId, int count)
    {
        var table = (byte[])supported.Clone();
        var entries = BitConverter.ToUInt32(table, 0);
        for (var i = 0; i < entries; i++)
        {
            var entry = table.AsSpan(HeaderSize + i * EntrySize, EntrySize);
            var function = Read(entry, Function);
            if (function == Features)
            {
                var ebx = Read(entry, Ebx) & 0x0000ffffu;
                Write(entry, Ebx, ebx | ((uint)apicId << 24) | ((uint)Math.Min(count, 255) << 16));
                var edx = Read(entry, Edx);
                Write(entry, Edx, count > 1 ? edx | HttBit : edx & ~HttBit);
            }
            else if (function is ExtendedTopology or ExtendedTopologyV2)
            {
                Write(entry, Edx, (uint)apicId);
            }
        }
        return table;
    }

    /// <summary>The registers of leaf <paramref name="function"/> (sub-leaf <paramref name="index"/>) in a table, or null.</summary>
    public static (uint Eax, uint Ebx, uint Ecx, uint Edx)? Find(ReadOnlySpan<byte> table, uint function, uint index = 0)
    {
        var entries = BitConverter.ToUInt32(table);
        for (var i = 0; i < entries; i++)
        {
            var entry = table.Slice(HeaderSize + i * EntrySize, EntrySize);
            if (Read(entry, Function) == function && Read(entry, 4) == index)
            {
                return (Read(entry, Eax), Read(entry, Ebx), Read(entry, Ecx), Read(entry, Edx));
            }
        }
        return null;
    }

    private static uint Read(ReadOnlySpan<byte> entry, int offset) => BitConverter.ToUInt32(entry[offset..]);

    private static void Write(Span<byte> entry, int offset, uint value) => BitConverter.TryWriteBytes(entry[offset..], value);
}
