using System.Buffers.Binary;
using VirtTools.Accelerators;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Loaders;

/// <summary>
/// Loads an ELF32 or ELF64 executable (System V gABI): every PT_LOAD segment at its physical address,
/// the rest of its memory size zeroed. ELF32 starts in protected mode, ELF64 in long mode.
/// </summary>
public static class ElfLoader
{
    private const uint PtLoad = 1;

    public static bool IsElf(ReadOnlySpan<byte> image) =>
        image.Length >= 52 && image[0] == 0x7f && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F';

    public static BootState Load(GuestMemory memory, SpecialRegisters reset, byte[] image)
    {
        var (entry, is64) = LoadSegments(memory, image);
        return CpuSetup.Enter(memory, reset, is64 ? CpuMode.Long : CpuMode.Protected, entry);
    }

    /// <summary>Copies the PT_LOAD segments; returns the entry point and whether the file is ELF64.</summary>
    public static (ulong Entry, bool Is64) LoadSegments(GuestMemory memory, byte[] image)
    {
        if (!IsElf(image) || image[5] != 1)
        {
            throw Invalid("not a little-endian ELF file");
        }
        var is64 = image[4] == 2;
        var span = image.AsSpan();
        var entry = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(span[24..]) : BinaryPrimitives.ReadUInt32LittleEndian(span[24..]);
        var phoff = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(span[32..]) : BinaryPrimitives.ReadUInt32LittleEndian(span[28..]);
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[(is64 ? 54 : 42)..]);
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(span[(is64 ? 56 : 44)..]);
        for (var i = 0; i < phnum; i++)
        {
            var off = checked((int)(phoff + (ulong)(i * phentsize)));
            if (off + (is64 ? 56 : 32) > image.Length)
            {
                throw Invalid("program header table runs past the end of the file");
            }
            var ph = span[off..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != PtLoad)
            {
                continue;
            }
            ulong fileOffset, paddr, fileSize, memSize;
            if (is64)
            {
                fileOffset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
                paddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]);
                fileSize = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
                memSize = BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]);
            }
            else
            {
                fileOffset = BinaryPrimitives.ReadUInt32LittleEndian(ph[4..]);
                paddr = BinaryPrimitives.ReadUInt32LittleEndian(ph[12..]);
                fileSize = BinaryPrimitives.ReadUInt32LittleEndian(ph[16..]);
                memSize = BinaryPrimitives.ReadUInt32LittleEndian(ph[20..]);
            }
            if (fileOffset + fileSize > (ulong)image.Length || fileSize > memSize)
            {
                throw Invalid($"segment {i} lies outside the file");
            }
            memory.Span(paddr, checked((int)memSize)).Clear();
            memory.Write(paddr, span.Slice((int)fileOffset, (int)fileSize));
        }
        return (entry, is64);
    }

    private static VirtToolsException Invalid(string why) =>
        new("ImageFormatInvalid", VirtErrorKind.InvalidArgument, $"ELF image: {why}");
}
