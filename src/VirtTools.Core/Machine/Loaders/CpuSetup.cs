using System.Runtime.InteropServices;
using VirtTools.Accelerators;

namespace VirtTools.Machine.Loaders;

/// <summary>
/// The boot-time structures every loader shares, written into guest memory at the addresses in
/// <see cref="MachineLayout"/>: the GDT, the identity-mapped page tables, and the register state for
/// each <see cref="CpuMode"/> (values from the Linux boot protocol and Firecracker's arch/x86_64/regs.rs).
/// </summary>
public static class CpuSetup
{
    /// <summary>GDT entries: null, 64-bit code, data, TSS, 32-bit code.</summary>
    public const ulong GdtNull = 0, GdtCode64 = 0x00af9b000000ffff, GdtData = 0x00cf93000000ffff,
        GdtTss = 0x008f8b000000ffff, GdtCode32 = 0x00cf9b000000ffff;

    public const ushort Code64Selector = 0x08, DataSelector = 0x10, TssSelector = 0x18, Code32Selector = 0x20;

    // MSR numbers (Intel SDM vol. 4) and the values Firecracker boots Linux with.
    private const uint MsrSysenterCs = 0x174, MsrSysenterEsp = 0x175, MsrSysenterEip = 0x176, MsrStar = 0xc0000081,
        MsrLstar = 0xc0000082, MsrCstar = 0xc0000083, MsrSyscallMask = 0xc0000084, MsrKernelGsBase = 0xc0000102,
        MsrTsc = 0x10, MsrMiscEnable = 0x1a0, MsrMtrrDefType = 0x2ff;

    /// <summary>The MSRs a freshly booted 64-bit kernel expects: syscall MSRs zero, fast strings on, MTRRs write-back.</summary>
    public static IReadOnlyList<MsrEntry> BootMsrs { get; } =
    [
        new(MsrSysenterCs, 0), new(MsrSysenterEsp, 0), new(MsrSysenterEip, 0), new(MsrStar, 0), new(MsrCstar, 0),
        new(MsrKernelGsBase, 0), new(MsrSyscallMask, 0), new(MsrLstar, 0), new(MsrTsc, 0), new(MsrMiscEnable, 1),
        new(MsrMtrrDefType, (1 << 11) | 6),
    ];

    /// <summary>Writes the GDT at <see cref="MachineLayout.BootGdt"/>.</summary>
    public static void WriteGdt(GuestMemory memory)
    {
        ulong[] gdt = [GdtNull, GdtCode64, GdtData, GdtTss, GdtCode32];
        for (var i = 0; i < gdt.Length; i++)
        {
            memory.WriteUInt64(MachineLayout.BootGdt + (ulong)i * 8, gdt[i]);
        }
    }

    /// <summary>Identity-maps <see cref="MachineLayout.IdentityMapSize"/> with 2 MiB pages (PML4, PDPT, 4 PDs).</summary>
    public static void WritePageTables(GuestMemory memory)
    {
        const ulong presentWritable = 0x3, largePage = 0x80;
        memory.WriteUInt64(MachineLayout.Pml4, MachineLayout.Pdpt | presentWritable);
        for (ulong pd = 0; pd < 4; pd++)
        {
            var table = MachineLayout.PageDirectories + pd * MachineLayout.PageSize;
            memory.WriteUInt64(MachineLayout.Pdpt + pd * 8, table | presentWritable);
            // One bounds-checked span per table, not 512 region look-ups: this runs on the way to the
            // guest's first instruction (Kvm.Bench.ps1 times it), and the host is little-endian like the guest.
            var entries = MemoryMarshal.Cast<byte, ulong>(memory.Span(table, (int)MachineLayout.PageSize));
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = (((pd * 512) + (ulong)i) << 21) | presentWritable | largePage;
            }
        }
    }

    /// <summary>
    /// Writes what <paramref name="mode"/> needs into memory and returns the boot state with
    /// <paramref name="entry"/> in RIP (for real mode, segment 0 and IP = entry).
    /// </summary>
    public static BootState Enter(GuestMemory memory, SpecialRegisters reset, CpuMode mode, ulong entry)
    {
        var sregs = reset;
        var regs = new Registers { Rflags = Registers.ResetFlags, Rip = entry };
        switch (mode)
        {
            case CpuMode.Real:
                if (entry > 0xffff)
                {
                    throw new Diagnostics.VirtToolsException("LoadAddressInvalid", Diagnostics.VirtErrorKind.InvalidArgument,
                        $"real mode starts at 0000:LoadAddress, so LoadAddress must be below 0x10000 (got 0x{entry:x})", entry);
                }
                sregs.Cs = SegmentRegister.RealMode(0, code: true);
                sregs.Ds = sregs.Es = sregs.Fs = sregs.Gs = sregs.Ss = SegmentRegister.RealMode(0, code: false);
                sregs.Cr0 = SpecialRegisters.Cr0ExtensionType;
                regs.Rsp = 0x7000;
                return new BootState(regs, sregs, []);
            case CpuMode.Protected:
                WriteGdt(memory);
                FlatSegments(ref sregs, SegmentRegister.FromDescriptor(Code32Selector, GdtCode32));
                sregs.Cr0 = SpecialRegisters.Cr0ProtectedMode | SpecialRegisters.Cr0ExtensionType;
                sregs.Cr4 = 0;
                sregs.Efer = 0;
                regs.Rsp = MachineLayout.BootStack;
                return new BootState(regs, sregs, []);
            default:
                WriteGdt(memory);
                WritePageTables(memory);
                FlatSegments(ref sregs, SegmentRegister.FromDescriptor(Code64Selector, GdtCode64));
                sregs.Cr3 = MachineLayout.Pml4;
                sregs.Cr4 = SpecialRegisters.Cr4Pae;
                sregs.Cr0 = SpecialRegisters.Cr0ProtectedMode | SpecialRegisters.Cr0ExtensionType | SpecialRegisters.Cr0Paging;
                sregs.Efer = SpecialRegisters.EferLongModeEnable | SpecialRegisters.EferLongModeActive;
                regs.Rsp = regs.Rbp = MachineLayout.BootStack;
                return new BootState(regs, sregs, BootMsrs);
        }
    }

    private static void FlatSegments(ref SpecialRegisters sregs, SegmentRegister code)
    {
        var data = SegmentRegister.FromDescriptor(DataSelector, GdtData);
        sregs.Cs = code;
        sregs.Ds = sregs.Es = sregs.Fs = sregs.Gs = sregs.Ss = data;
        sregs.Tr = SegmentRegister.FromDescriptor(TssSelector, GdtTss);
        sregs.Gdt = new DescriptorTable(MachineLayout.BootGdt, 5 * 8 - 1);
        sregs.Idt = new DescriptorTable(0, 0);
    }
}
