using System.Buffers.Binary;
using System.Text;
using VirtTools.Accelerators;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Loaders;

/// <summary>
/// Boots a Linux bzImage by the 64-bit boot protocol (Documentation/arch/x86/boot.rst): the protected-mode
/// kernel at 1 MiB, the zero page (boot_params) at <see cref="MachineLayout.ZeroPage"/> with the image's
/// setup header, an e820 map, the command line and the initrd; entry at load address + 0x200 in long
/// mode with RSI pointing at the zero page. An uncompressed vmlinux (ELF64) boots the same way, as
/// Firecracker boots it: its segments at their physical addresses, entry at e_entry, and a zero page
/// whose setup header the loader writes itself (there is none in the file). It skips the decompressor,
/// which matters where guest kernel code is emulated (PVM hosts, the software CPU).
/// </summary>
public static class LinuxLoader
{
    // Offsets into boot_params / the setup header (boot.rst, "The Real-Mode Kernel Header").
    private const int SetupSects = 0x1f1, BootFlag = 0x1fe, JumpEnd = 0x201, HeaderMagic = 0x202, Version = 0x206,
        TypeOfLoader = 0x210, LoadFlags = 0x211, RamdiskImage = 0x218, RamdiskSize = 0x21c, CmdLinePtr = 0x228,
        InitrdAddrMax = 0x22c, KernelAlignment = 0x230, XLoadFlags = 0x236, CmdlineSize = 0x238, E820Entries = 0x1e8, E820Table = 0x2d0;
    private const uint HdrS = 0x53726448;           // "HdrS"
    private const ushort MinimumVersion = 0x020c;   // 2.12: xloadflags, the 64-bit entry point
    private const ushort XlfKernel64 = 1;
    private const byte LoadedHigh = 0x01;
    private const byte UndefinedLoader = 0xff;
    private const uint E820Ram = 1, E820Reserved = 2;
    private const int MaxE820 = 128;

    public static bool IsBzImage(ReadOnlySpan<byte> image) =>
        image.Length > 0x240 && BinaryPrimitives.ReadUInt32LittleEndian(image[HeaderMagic..]) == HdrS;

    public static BootState Load(GuestMemory memory, SpecialRegisters reset, LoadRequest request)
    {
        var image = request.Image;
        if (ElfLoader.IsElf(image))
        {
            return LoadVmlinux(memory, reset, request);
        }
        if (!IsBzImage(image))
        {
            throw Invalid("no \"HdrS\" setup header at 0x202: not a bzImage");
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(Version));
        if (version < MinimumVersion)
        {
            throw Invalid($"boot protocol {version >> 8}.{version & 0xff} is older than 2.12 (no 64-bit entry)");
        }
        if ((BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(XLoadFlags)) & XlfKernel64) == 0)
        {
            throw Invalid("xloadflags lacks XLF_KERNEL_64: the kernel has no 64-bit entry point");
        }
        var setupSectors = image[SetupSects] == 0 ? 4 : image[SetupSects];
        var kernelOffset = (setupSectors + 1) * 512;
        var kernel = image.AsSpan(kernelOffset);
        memory.Write(MachineLayout.HighMemory, kernel);

        var zero = memory.Span(MachineLayout.ZeroPage, (int)MachineLayout.PageSize);
        zero.Clear();
        var headerEnd = HeaderMagic + image[JumpEnd];
        image.AsSpan(SetupSects, headerEnd - SetupSects).CopyTo(zero[SetupSects..]);
        return Enter(memory, reset, request, MachineLayout.HighMemory + (ulong)kernel.Length, MachineLayout.HighMemory + 0x200);
    }

    private static BootState LoadVmlinux(GuestMemory memory, SpecialRegisters reset, LoadRequest request)
    {
        var (entry, is64) = ElfLoader.LoadSegments(memory, request.Image);
        if (!is64)
        {
            throw Invalid("a vmlinux must be ELF64 for the 64-bit boot protocol");
        }
        var zero = memory.Span(MachineLayout.ZeroPage, (int)MachineLayout.PageSize);
        zero.Clear();
        // The setup header a bzImage would carry: what the kernel reads back from boot_params.hdr.
        BinaryPrimitives.WriteUInt32LittleEndian(zero[HeaderMagic..], HdrS);
        BinaryPrimitives.WriteUInt16LittleEndian(zero[Version..], MinimumVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(zero[KernelAlignment..], 0x0100_0000);
        BinaryPrimitives.WriteUInt32LittleEndian(zero[InitrdAddrMax..], 0x7fff_ffff);
        BinaryPrimitives.WriteUInt32LittleEndian(zero[CmdlineSize..], (uint)MachineLayout.CommandLineMax - 1);
        return Enter(memory, reset, request, HighestLoaded(request.Image), entry);
    }

    /// <summary>Fills the loader-owned fields of the zero page (already holding the setup header) and enters the kernel.</summary>
    private static BootState Enter(GuestMemory memory, SpecialRegisters reset, LoadRequest request, ulong kernelEnd, ulong entry)
    {
        var zero = memory.Span(MachineLayout.ZeroPage, (int)MachineLayout.PageSize);
        BinaryPrimitives.WriteUInt16LittleEndian(zero[BootFlag..], 0xaa55);
        zero[TypeOfLoader] = UndefinedLoader;
        zero[LoadFlags] |= LoadedHigh;

        var commandLine = Encoding.ASCII.GetBytes((request.CommandLine ?? "") + "\0");
        var maxCommandLine = Math.Min(MachineLayout.CommandLineMax, (int)BinaryPrimitives.ReadUInt32LittleEndian(zero[CmdlineSize..]) + 1);
        if (commandLine.Length > maxCommandLine)
        {
            throw new VirtToolsException("CommandLineTooLong", VirtErrorKind.InvalidArgument,
                $"kernel command line is {commandLine.Length - 1} bytes; this kernel takes at most {maxCommandLine - 1}", request.CommandLine);
        }
        memory.Write(MachineLayout.CommandLine, commandLine);
        BinaryPrimitives.WriteUInt32LittleEndian(zero[CmdLinePtr..], (uint)MachineLayout.CommandLine);

        var lowRamTop = Math.Min(memory.Size, MachineLayout.MmioGapStart);
        if (request.Initrd is { Length: > 0 } initrd)
        {
            var limit = Math.Min(lowRamTop, (ulong)BinaryPrimitives.ReadUInt32LittleEndian(zero[InitrdAddrMax..]) + 1);
            var address = (limit - (ulong)initrd.Length) & ~(MachineLayout.PageSize - 1);
            if ((ulong)initrd.Length > limit || address < kernelEnd)
            {
                throw new VirtToolsException("InitrdTooLarge", VirtErrorKind.InvalidArgument,
                    $"initrd of {initrd.Length} bytes does not fit between the kernel (ends 0x{kernelEnd:x}) and 0x{limit:x}: give the machine more memory");
            }
            memory.Write(address, initrd);
            BinaryPrimitives.WriteUInt32LittleEndian(zero[RamdiskImage..], (uint)address);
            BinaryPrimitives.WriteUInt32LittleEndian(zero[RamdiskSize..], (uint)initrd.Length);
        }

        var e820 = BuildE820(memory).ToList();
        zero[E820Entries] = (byte)e820.Count;
        for (var i = 0; i < e820.Count && i < MaxE820; i++)
        {
            var entryBytes = zero[(E820Table + i * 20)..];
            BinaryPrimitives.WriteUInt64LittleEndian(entryBytes, e820[i].Start);
            BinaryPrimitives.WriteUInt64LittleEndian(entryBytes[8..], e820[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(entryBytes[16..], e820[i].Type);
        }

        var state = CpuSetup.Enter(memory, reset, CpuMode.Long, entry);
        var regs = state.Registers;
        regs.Rsi = MachineLayout.ZeroPage;
        return state with { Registers = regs };
    }

    /// <summary>The end of the highest PT_LOAD segment (physical), where an initrd must not reach.</summary>
    private static ulong HighestLoaded(byte[] elf)
    {
        var span = elf.AsSpan();
        var phoff = BinaryPrimitives.ReadUInt64LittleEndian(span[32..]);
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[54..]);
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(span[56..]);
        ulong end = 0;
        for (var i = 0; i < phnum; i++)
        {
            var ph = span[(int)(phoff + (ulong)(i * phentsize))..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) == 1)
            {
                end = Math.Max(end, BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]) + BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]));
            }
        }
        return end;
    }

    /// <summary>RAM below the EBDA, the reserved BIOS area, then every RAM region from 1 MiB.</summary>
    public static IEnumerable<(ulong Start, ulong Size, uint Type)> BuildE820(GuestMemory memory)
    {
        yield return (0, MachineLayout.LowRamEnd, E820Ram);
        yield return (MachineLayout.LowRamEnd, MachineLayout.HighMemory - MachineLayout.LowRamEnd, E820Reserved);
        foreach (var region in memory.Regions)
        {
            var start = Math.Max(region.GuestAddress, MachineLayout.HighMemory);
            if (region.End > start)
            {
                yield return (start, region.End - start, E820Ram);
            }
        }
    }

    private static VirtToolsException Invalid(string why) =>
        new("ImageFormatInvalid", VirtErrorKind.InvalidArgument, $"Linux image: {why}");
}
