using System.Buffers.Binary;
using System.Text;
using VirtTools.Accelerators;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Loaders;

/// <summary>
/// Multiboot v1 (the Multiboot Specification 0.6.96): finds the header in the first 8 KiB, loads the
/// kernel as ELF or by the header's address fields (flag 16), and enters 32-bit protected mode with
/// EAX = 0x2BADB002 and EBX pointing at the information structure (memory sizes, command line).
/// kvm-unit-tests binaries are of this kind.
/// </summary>
public static class MultibootLoader
{
    public const uint HeaderMagic = 0x1BADB002;
    public const uint BootloaderMagic = 0x2BADB002;
    private const uint FlagAddressFields = 1 << 16;
    private const uint InfoMemory = 1 << 0, InfoCommandLine = 1 << 2;

    /// <summary>Offset of a valid multiboot header in the first 8 KiB, or -1.</summary>
    public static int FindHeader(ReadOnlySpan<byte> image)
    {
        for (var off = 0; off + 12 <= Math.Min(image.Length, 8192); off += 4)
        {
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(image[off..]);
            var flags = BinaryPrimitives.ReadUInt32LittleEndian(image[(off + 4)..]);
            var checksum = BinaryPrimitives.ReadUInt32LittleEndian(image[(off + 8)..]);
            if (magic == HeaderMagic && unchecked(magic + flags + checksum) == 0)
            {
                return off;
            }
        }
        return -1;
    }

    public static BootState Load(GuestMemory memory, SpecialRegisters reset, LoadRequest request)
    {
        var image = request.Image;
        var header = FindHeader(image);
        if (header < 0)
        {
            throw new VirtToolsException("ImageFormatInvalid", VirtErrorKind.InvalidArgument, "no multiboot v1 header in the first 8 KiB");
        }
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(header + 4));
        ulong entry;
        if ((flags & FlagAddressFields) != 0)
        {
            var h = image.AsSpan(header);
            var headerAddr = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
            var loadAddr = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
            var loadEnd = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            var bssEnd = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            entry = BinaryPrimitives.ReadUInt32LittleEndian(h[28..]);
            var fileStart = header - (int)(headerAddr - loadAddr);
            var length = loadEnd == 0 ? image.Length - fileStart : (int)(loadEnd - loadAddr);
            memory.Write(loadAddr, image.AsSpan(fileStart, length));
            if (bssEnd > loadAddr + (uint)length)
            {
                memory.Span(loadAddr + (uint)length, (int)(bssEnd - loadAddr - (uint)length)).Clear();
            }
        }
        else
        {
            entry = ElfLoader.LoadSegments(memory, image).Entry;
        }
        var infoFlags = InfoMemory;
        var info = MachineLayout.MultibootInfo;
        memory.Span(info, 128).Clear();
        memory.WriteUInt32(info + 4, 639);                                                 // mem_lower, KiB
        memory.WriteUInt32(info + 8, (uint)(Math.Min(memory.Size, MachineLayout.MmioGapStart) / 1024 - 1024)); // mem_upper
        if (request.CommandLine is { } commandLine)
        {
            var bytes = Encoding.ASCII.GetBytes(commandLine + "\0");
            memory.Write(MachineLayout.CommandLine, bytes.AsSpan(0, Math.Min(bytes.Length, MachineLayout.CommandLineMax)));
            memory.WriteUInt32(info + 16, (uint)MachineLayout.CommandLine);
            infoFlags |= InfoCommandLine;
        }
        memory.WriteUInt32(info, infoFlags);
        var state = CpuSetup.Enter(memory, reset, CpuMode.Protected, entry);
        var regs = state.Registers;
        regs.Rax = BootloaderMagic;
        regs.Rbx = info;
        return state with { Registers = regs };
    }
}
