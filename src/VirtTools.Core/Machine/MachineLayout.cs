namespace VirtTools.Machine;

/// <summary>
/// The machine's memory map and port map in one place, range by range (after Firecracker's
/// arch/x86_64/layout.rs and kvmtool's x86/ioport.c). Loaders, devices and accelerators take their
/// addresses from here; docs/machine.md repeats the tables.
/// </summary>
public static class MachineLayout
{
    public const ulong PageSize = 0x1000;

    // ---- Guest physical memory, low to high -------------------------------------------------

    /// <summary>[0, 0x400): real-mode interrupt vector table, 256 far pointers.</summary>
    public const ulong RealModeIvt = 0x0;

    /// <summary>0x500: boot GDT written by the protected- and long-mode loaders (4 entries).</summary>
    public const ulong BootGdt = 0x500;

    /// <summary>0x520: boot IDT descriptor area (an empty IDT: limit 0 until the guest loads its own).</summary>
    public const ulong BootIdt = 0x520;

    /// <summary>0x6000: multiboot v1 information structure handed over in EBX.</summary>
    public const ulong MultibootInfo = 0x6000;

    /// <summary>0x7000: Linux zero page (struct boot_params, 4 KiB) handed over in RSI.</summary>
    public const ulong ZeroPage = 0x7000;

    /// <summary>0x8ff0: initial stack pointer for loaders that set one (grows down, below the page tables).</summary>
    public const ulong BootStack = 0x8ff0;

    /// <summary>0x9000: PML4 of the loader's identity map.</summary>
    public const ulong Pml4 = 0x9000;

    /// <summary>0xa000: the PDPT; its first four entries point at the page directories.</summary>
    public const ulong Pdpt = 0xa000;

    /// <summary>[0xb000, 0xf000): four page directories of 2 MiB pages: identity map of the low 4 GiB.</summary>
    public const ulong PageDirectories = 0xb000;

    /// <summary>How much the loader's page tables identity-map: all of the low 4 GiB, MMIO included.</summary>
    public const ulong IdentityMapSize = 4UL << 30;

    /// <summary>0x20000: kernel command line (Linux and multiboot), at most <see cref="CommandLineMax"/> bytes.</summary>
    public const ulong CommandLine = 0x20000;

    public const int CommandLineMax = 2048;

    /// <summary>[0x9fc00, 0x100000): EBDA, VGA window and BIOS area: reserved in the e820 map.</summary>
    public const ulong LowRamEnd = 0x9fc00;

    /// <summary>
    /// 0xf0000: the MP floating pointer structure (16 bytes), in the BIOS area where the MP spec says
    /// an OS looks for it (<see cref="Loaders.MpTable"/>; written when the irqchip is KVM's).
    /// </summary>
    public const ulong MpFloatingPointer = 0xf_0000;

    /// <summary>0xf0010: the MP configuration table right after it (44 + 20 per vCPU + 160 bytes; 5.2 KiB at 254 vCPUs).</summary>
    public const ulong MpConfigurationTable = 0xf_0010;

    /// <summary>0x100000 (1 MiB): where kernels and high flat binaries load.</summary>
    public const ulong HighMemory = 0x100000;

    /// <summary>[0xc0000000, 4 GiB): hole for MMIO devices; RAM above 3 GiB continues at 4 GiB.</summary>
    public const ulong MmioGapStart = 0xc000_0000;

    public const ulong MmioGapEnd = 0x1_0000_0000;

    /// <summary>0xd0000000: an MMIO write of any value here is logged as the boot-time marker (Firecracker's convention).</summary>
    public const ulong BootTimeMarker = 0xd000_0000;

    /// <summary>0xfec00000: IOAPIC (in-kernel on KVM).</summary>
    public const ulong IoApic = 0xfec0_0000;

    /// <summary>0xfee00000: local APIC (in-kernel on KVM).</summary>
    public const ulong LocalApic = 0xfee0_0000;

    /// <summary>0xfffbc000: KVM_SET_IDENTITY_MAP_ADDR page (VMX real-mode support), just below the TSS.</summary>
    public const ulong KvmIdentityMap = 0xfffb_c000;

    /// <summary>0xfffbd000: KVM_SET_TSS_ADDR, three pages KVM uses on VMX hosts for real mode.</summary>
    public const ulong KvmTss = 0xfffb_d000;

    /// <summary>The RAM regions for <paramref name="bytes"/> of RAM: below the MMIO gap, the rest from 4 GiB.</summary>
    public static IEnumerable<(ulong Start, ulong Size)> RamRegions(ulong bytes)
    {
        var low = Math.Min(bytes, MmioGapStart);
        yield return (0, low);
        if (bytes > low)
        {
            yield return (MmioGapEnd, bytes - low);
        }
    }

    // ---- I/O ports ---------------------------------------------------------------------------

    /// <summary>0x20-0x21: master 8259 PIC (command, data).</summary>
    public const ushort PicMaster = 0x20;

    /// <summary>0x40-0x43: 8254 PIT channels 0-2 and the mode register.</summary>
    public const ushort Pit = 0x40;

    /// <summary>0x60-0x64: i8042 keyboard controller (data 0x60, status/command 0x64; 0x61 is port B).</summary>
    public const ushort I8042 = 0x60;

    /// <summary>0x70-0x71: CMOS/RTC index and data.</summary>
    public const ushort Cmos = 0x70;

    /// <summary>0xa0-0xa1: slave 8259 PIC, cascaded on master IRQ 2.</summary>
    public const ushort PicSlave = 0xa0;

    /// <summary>0xf0: FERR# latch: a write clears the x87 error and lowers IRQ13 (PC-AT wiring).</summary>
    public const ushort FpuErrorClear = 0xf0;

    /// <summary>0xf4: debug exit (QEMU isa-debug-exit): a write of v ends the run with exit code v.</summary>
    public const ushort DebugExit = 0xf4;

    /// <summary>0x3f8-0x3ff: COM1, 16550A UART.</summary>
    public const ushort Com1 = 0x3f8;

    // ---- ISA interrupt lines -----------------------------------------------------------------

    public const int PitIrq = 0;
    public const int KeyboardIrq = 1;
    public const int CascadeIrq = 2;
    public const int Com1Irq = 4;
    public const int RtcIrq = 8;
    /// <summary>FERR# (x87 error with CR0.NE = 0): the slave 8259's IR5.</summary>
    public const int FpuErrorIrq = 13;
}
