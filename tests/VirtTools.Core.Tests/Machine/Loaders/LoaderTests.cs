using System.Buffers.Binary;
using System.Text;
using VirtTools.Accelerators;
using VirtTools.Diagnostics;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;

namespace VirtTools.Tests.Machine.Loaders;

/// <summary>The loaders write guest memory and hand back CPU state; no accelerator is needed to check either.</summary>
public sealed class LoaderTests : IDisposable
{
    private readonly GuestMemory memory = GuestMemory.Create(64UL << 20);

    public void Dispose() => memory.Dispose();

    [Fact]
    public void LongModeBuildsIdentityMapGdtAndStack()
    {
        var state = ImageLoader.Load(memory, default, new LoadRequest([0xf4], ImageFormat.Flat, CpuMode.Long, 0x200000));
        Assert.Equal(0xf4, memory.ReadByte(0x200000));
        Assert.Equal(0x200000UL, state.Registers.Rip);
        Assert.Equal(MachineLayout.BootStack, state.Registers.Rsp);
        Assert.Equal(MachineLayout.Pml4, state.SpecialRegisters.Cr3);
        Assert.Equal(SpecialRegisters.EferLongModeEnable | SpecialRegisters.EferLongModeActive, state.SpecialRegisters.Efer);
        Assert.Equal(1, state.SpecialRegisters.Cs.L);
        Assert.Equal(CpuSetup.GdtCode64, memory.ReadUInt64(MachineLayout.BootGdt + 8));
        Assert.Equal(MachineLayout.Pdpt | 3, memory.ReadUInt64(MachineLayout.Pml4));
        // The PD entry for 0xfee00000 (LAPIC): 4th directory, entry 503, a 2 MiB page mapping itself.
        Assert.Equal(0xfee00000UL | 0x83, memory.ReadUInt64(MachineLayout.PageDirectories + 3 * 4096 + 503 * 8));
        Assert.Equal("Long", MachineRegisters.ModeOf(state.SpecialRegisters));
    }

    [Fact]
    public void RealModeStartsAtSegmentZero()
    {
        var state = ImageLoader.Load(memory, default, new LoadRequest([0xf4], ImageFormat.Flat, CpuMode.Real, 0x7c00));
        Assert.Equal(0x7c00UL, state.Registers.Rip);
        Assert.Equal(0, state.SpecialRegisters.Cs.Selector);
        Assert.Equal(0UL, state.SpecialRegisters.Cs.Base);
        Assert.Equal("Real", MachineRegisters.ModeOf(state.SpecialRegisters));
    }

    [Fact]
    public void RealModeRefusesAnAddressBeyondSegmentZero()
    {
        var e = Assert.Throws<VirtToolsException>(() => ImageLoader.Load(memory, default, new LoadRequest([0xf4], ImageFormat.Flat, CpuMode.Real, 0x100000)));
        Assert.Equal("LoadAddressInvalid", e.ErrorId);
    }

    [Fact]
    public void ProtectedModeUsesFlat32BitSegments()
    {
        var state = ImageLoader.Load(memory, default, new LoadRequest([0xf4], ImageFormat.Flat, CpuMode.Protected, 0x100000));
        Assert.Equal(CpuSetup.Code32Selector, state.SpecialRegisters.Cs.Selector);
        Assert.Equal(0xffffffffu, state.SpecialRegisters.Cs.Limit);
        Assert.Equal("Protected32", MachineRegisters.ModeOf(state.SpecialRegisters));
    }

    [Fact]
    public void Elf64SegmentsLoadAtTheirPhysicalAddressWithBssZeroed()
    {
        var elf = BuildElf64(entry: 0x300010, paddr: 0x300000, code: [0x90, 0x90, 0xf4], memSize: 0x100);
        memory.Span(0x300000, 0x100).Fill(0xcc);
        Assert.Equal(ImageFormat.Elf, ImageLoader.Detect(elf));
        var state = ImageLoader.Load(memory, default, new LoadRequest(elf));
        Assert.Equal(0x300010UL, state.Registers.Rip);
        Assert.Equal([0x90, 0x90, 0xf4, 0x00], memory.Span(0x300000, 4).ToArray());
        Assert.Equal(0, memory.ReadByte(0x3000ff));
        Assert.Equal(SpecialRegisters.EferLongModeActive, state.SpecialRegisters.Efer & SpecialRegisters.EferLongModeActive);
    }

    [Fact]
    public void MultibootKludgeLoadsAndPassesTheInformationStructure()
    {
        var image = new byte[64];
        // Header at 0: magic, flags (address fields), checksum, header_addr, load_addr, load_end, bss_end, entry.
        uint[] header = [MultibootLoader.HeaderMagic, 1 << 16, unchecked(0u - MultibootLoader.HeaderMagic - (1u << 16)), 0x400000, 0x400000, 0, 0x400100, 0x400020];
        for (var i = 0; i < header.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(i * 4), header[i]);
        }
        image[0x20] = 0xf4;
        Assert.Equal(ImageFormat.Multiboot, ImageLoader.Detect(image));
        var state = ImageLoader.Load(memory, default, new LoadRequest(image, CommandLine: "console=ttyS0"));
        Assert.Equal(0x400020UL, state.Registers.Rip);
        Assert.Equal(MultibootLoader.BootloaderMagic, state.Registers.Rax);
        Assert.Equal(MachineLayout.MultibootInfo, state.Registers.Rbx);
        Assert.Equal(0xf4, memory.ReadByte(0x400020));
        Assert.Equal(5u, memory.ReadUInt32(MachineLayout.MultibootInfo));               // memory + command line
        Assert.Equal(63u * 1024, memory.ReadUInt32(MachineLayout.MultibootInfo + 8));   // mem_upper, KiB above 1 MiB
        Assert.Equal("console=ttyS0", ReadCString(memory.ReadUInt32(MachineLayout.MultibootInfo + 16)));
        Assert.Equal("Protected32", MachineRegisters.ModeOf(state.SpecialRegisters));
    }

    [Fact]
    public void BzImageGetsZeroPageE820CommandLineAndInitrd()
    {
        var image = BuildBzImage(kernel: [0xf4, 0xf4]);
        var initrd = Enumerable.Repeat((byte)0x5a, 10000).ToArray();
        Assert.Equal(ImageFormat.Linux, ImageLoader.Detect(image));
        var state = ImageLoader.Load(memory, default, new LoadRequest(image, CommandLine: "console=ttyS0 panic=-1", Initrd: initrd));
        var zero = MachineLayout.ZeroPage;
        Assert.Equal(MachineLayout.HighMemory + 0x200, state.Registers.Rip);
        Assert.Equal(zero, state.Registers.Rsi);
        Assert.Equal(0xf4, memory.ReadByte(MachineLayout.HighMemory));
        Assert.Equal(0xaa55, memory.ReadUInt16(zero + 0x1fe));
        Assert.Equal(0xff, memory.ReadByte(zero + 0x210));
        Assert.Equal(0x53726448u, memory.ReadUInt32(zero + 0x202));
        Assert.Equal("console=ttyS0 panic=-1", ReadCString(memory.ReadUInt32(zero + 0x228)));
        var ramdisk = memory.ReadUInt32(zero + 0x218);
        Assert.Equal((uint)initrd.Length, memory.ReadUInt32(zero + 0x21c));
        Assert.Equal(0u, ramdisk % 4096);
        Assert.Equal(initrd, memory.Span(ramdisk, initrd.Length).ToArray());
        Assert.Equal(3, memory.ReadByte(zero + 0x1e8));
        Assert.Equal(0x100000UL, memory.ReadUInt64(zero + 0x2d0 + 2 * 20));
        Assert.Equal(63UL << 20, memory.ReadUInt64(zero + 0x2d0 + 2 * 20 + 8));
        Assert.Equal(2u, memory.ReadUInt32(zero + 0x2d0 + 20 + 16));
    }

    [Fact]
    public void BzImageWithoutA64BitEntryIsRefused()
    {
        var image = BuildBzImage(kernel: [0xf4]);
        image[0x236] = 0;
        var e = Assert.Throws<VirtToolsException>(() => LinuxLoader.Load(memory, default, new LoadRequest(image)));
        Assert.Equal("ImageFormatInvalid", e.ErrorId);
        Assert.Contains("XLF_KERNEL_64", e.Message);
    }

    private string ReadCString(ulong address)
    {
        var bytes = memory.Span(address, 256);
        return Encoding.ASCII.GetString(bytes[..bytes.IndexOf((byte)0)]);
    }

    private static byte[] BuildBzImage(byte[] kernel)
    {
        var image = new byte[2 * 512 + kernel.Length];
        image[0x1f1] = 1;                                                  // setup_sects
        image[0x201] = 0x68;                                               // header ends at 0x26a
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x202), 0x53726448);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x206), 0x020f);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x22c), 0x37ffffff);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x236), 1);  // XLF_KERNEL_64
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x238), 2047);
        kernel.CopyTo(image, 1024);
        return image;
    }

    private static byte[] BuildElf64(ulong entry, ulong paddr, byte[] code, ulong memSize)
    {
        var elf = new byte[64 + 56 + code.Length];
        "\u007fELF"u8.CopyTo(elf);
        elf[4] = 2;
        elf[5] = 1;
        elf[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(16), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(18), 62);
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(24), entry);
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(32), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(54), 56);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(56), 1);
        var ph = elf.AsSpan(64);
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], 120);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], paddr);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], paddr);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)code.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], memSize);
        code.CopyTo(elf, 120);
        return elf;
    }
}
