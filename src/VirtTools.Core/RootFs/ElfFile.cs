using System.Buffers.Binary;
using System.Text;
using VirtTools.Diagnostics;

namespace VirtTools.RootFs;

/// <summary>
/// What the dynamic loader needs to run one ELF file, read from its program headers and dynamic
/// section (elf(5)): the interpreter (PT_INTERP), the libraries it names (DT_NEEDED) and where it
/// says to look for them (DT_RPATH, DT_RUNPATH). 64-bit little-endian only: the x86_64 host's format.
/// </summary>
public sealed record ElfFile(string? Interpreter, IReadOnlyList<string> Needed, IReadOnlyList<string> RPath, IReadOnlyList<string> RunPath)
{
    // Program header types and dynamic tags (elf.h).
    private const uint PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
    private const long DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_RPATH = 15, DT_RUNPATH = 29;

    /// <summary>Whether the file starts with the ELF magic (scripts and data files do not).</summary>
    public static bool IsElf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.Read(magic) == 4 && magic is [0x7f, (byte)'E', (byte)'L', (byte)'F'];
    }

    public static ElfFile Read(string path) => Parse(File.ReadAllBytes(path), path);

    public static ElfFile Parse(byte[] image, string path)
    {
        if (image.Length < 64 || image[0] != 0x7f || image[1] != 'E' || image[2] != 'L' || image[3] != 'F')
        {
            throw new VirtToolsException("NotElf", VirtErrorKind.InvalidArgument, $"'{path}' is not an ELF file", path);
        }
        // e_ident[EI_CLASS] 2 = 64-bit, e_ident[EI_DATA] 1 = little-endian.
        if (image[4] != 2 || image[5] != 1)
        {
            throw new VirtToolsException("UnsupportedElf", VirtErrorKind.NotSupported, $"'{path}' is not a 64-bit little-endian ELF file", path);
        }
        var phoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(image[0x20..]);
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(image[0x36..]);
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(image[0x38..]);

        string? interpreter = null;
        (long Offset, long Size)? dynamic = null;
        var loads = new List<(ulong VirtualAddress, ulong Offset, ulong Size)>();
        for (var i = 0; i < phnum; i++)
        {
            var header = Slice(image, phoff + (long)i * phentsize, 56, path);
            var type = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var offset = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
            var vaddr = BinaryPrimitives.ReadUInt64LittleEndian(header[16..]);
            var filesz = BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
            switch (type)
            {
                case PT_INTERP:
                    interpreter = CString(Slice(image, (long)offset, (long)filesz, path));
                    break;
                case PT_DYNAMIC:
                    dynamic = ((long)offset, (long)filesz);
                    break;
                case PT_LOAD:
                    loads.Add((vaddr, offset, filesz));
                    break;
            }
        }
        if (dynamic is null)
        {
            return new ElfFile(interpreter, [], [], []); // statically linked
        }

        var entries = new List<(long Tag, ulong Value)>();
        ulong? stringTable = null;
        var section = Slice(image, dynamic.Value.Offset, dynamic.Value.Size, path);
        for (var at = 0; at + 16 <= section.Length; at += 16)
        {
            var tag = BinaryPrimitives.ReadInt64LittleEndian(section[at..]);
            var value = BinaryPrimitives.ReadUInt64LittleEndian(section[(at + 8)..]);
            if (tag == DT_NULL)
            {
                break;
            }
            if (tag == DT_STRTAB)
            {
                stringTable = value;
            }
            entries.Add((tag, value));
        }
        if (stringTable is null)
        {
            return new ElfFile(interpreter, [], [], []);
        }
        // DT_STRTAB holds a virtual address: find the loaded segment that maps it back to the file.
        var segment = loads.FirstOrDefault(l => stringTable >= l.VirtualAddress && stringTable < l.VirtualAddress + l.Size);
        if (segment.Size == 0)
        {
            throw new VirtToolsException("BadElf", VirtErrorKind.InvalidArgument, $"'{path}': DT_STRTAB is outside every PT_LOAD segment", path);
        }
        var tableOffset = (long)(stringTable.Value - segment.VirtualAddress + segment.Offset);

        string At(ulong offset) => CString(image.AsSpan((int)Math.Min(image.Length, tableOffset + (long)offset)));
        var needed = entries.Where(e => e.Tag == DT_NEEDED).Select(e => At(e.Value)).ToList();
        var rpath = entries.Where(e => e.Tag == DT_RPATH).SelectMany(e => At(e.Value).Split(':', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var runpath = entries.Where(e => e.Tag == DT_RUNPATH).SelectMany(e => At(e.Value).Split(':', StringSplitOptions.RemoveEmptyEntries)).ToList();
        return new ElfFile(interpreter, needed, rpath, runpath);
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> image, long offset, long length, string path)
    {
        if (offset < 0 || length < 0 || offset + length > image.Length)
        {
            throw new VirtToolsException("BadElf", VirtErrorKind.InvalidArgument, $"'{path}': a header points outside the file", path);
        }
        return image.Slice((int)offset, (int)length);
    }

    private static string CString(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }
}
