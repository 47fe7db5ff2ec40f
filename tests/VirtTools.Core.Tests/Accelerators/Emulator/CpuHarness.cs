using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// A CPU over 4 MiB of test RAM, set up in one of the modes the way a loader would: GDT at 0x500
/// (null, code32 0x08, data32 0x10, code64 0x18, data 0x20, code32 DPL3 0x2b, data DPL3 0x33, TSS
/// 0x38, code16 0x48, not-present data 0x50), IDT at 0x1000 whose every vector points to a HLT stub
/// at 0x3000 + 16 * vector, TSS at 0x2000 with a ring-0 stack at 0x9f000, identity paging for long
/// mode (2 MiB pages) at 0x10000. Code goes at 0x100000; the stack top is 0x80000.
/// </summary>
internal sealed unsafe class CpuHarness : IDisposable
{
    public const ulong Code = 0x100000, StackTop = 0x80000, StubBase = 0x3000, Gdt = 0x500, Idt = 0x1000, Tss = 0x2000;
    public const ulong Ring0Stack = 0x9F000;

    public CpuHarness(string mode, ulong ramSize = 4 << 20)
    {
        Ram = new TestRam(ramSize);
        Bus = new TestBus();
        Cpu = new X86Cpu(Ram.Pointer, Ram.Size, Bus);
        Mode = mode;
        ulong[] gdt =
        {
            0,
            0x00CF9B000000FFFF, // 0x08 code32
            0x00CF93000000FFFF, // 0x10 data32
            0x00AF9B000000FFFF, // 0x18 code64
            0x00CF93000000FFFF, // 0x20 data
            0x00CFFB000000FFFF, // 0x28 code32 DPL3
            0x00CFF3000000FFFF, // 0x30 data DPL3
            0x00008B0020000067, // 0x38 TSS at 0x2000 (busy type set so LTR is not needed)
            0,                  // 0x40 high half of a 64-bit TSS descriptor
            0x00009B000000FFFF, // 0x48 code16
            0x00CF13000000FFFF, // 0x50 data, not present
            0x00AFFB000000FFFF, // 0x58 code64 DPL3
        };
        for (int k = 0; k < gdt.Length; k++)
        {
            Write64(Gdt + (ulong)k * 8, gdt[k]);
        }
        for (int v = 0; v < 256; v++)
        {
            Ram.Pointer[StubBase + (ulong)v * 16] = 0xF4; // HLT
        }
        Write32(Tss + 4, (uint)Ring0Stack);   // ESP0 / RSP0 low half
        Write32(Tss + 8, mode == "long" ? 0 : 0x10u); // SS0 (32-bit TSS)
        Cpu.Gdtr = new VirtTools.Accelerators.Emulator.DescriptorTable { Base = Gdt, Limit = (ushort)(gdt.Length * 8 - 1) };
        Cpu.Tr = Segment.FromDescriptor(0x38, gdt[7]);
        switch (mode)
        {
            case "real":
                for (int v = 0; v < 256; v++)
                {
                    Write32((ulong)v * 4, (uint)(StubBase + (ulong)v * 16)); // offset, segment 0
                }
                Cpu.SetSegment(X86Decoder.CS, Segment.Real(0, 0x9B));
                Cpu.SetSegment(X86Decoder.SS, Segment.Real(0));
                Cpu.SetSegment(X86Decoder.DS, Segment.Real(0));
                Cpu.SetSegment(X86Decoder.ES, Segment.Real(0));
                Cpu[X86Cpu.RSP] = 0x7000;
                break;
            case "protected":
                for (int v = 0; v < 256; v++)
                {
                    ulong h = StubBase + (ulong)v * 16;
                    Write64(Idt + (ulong)v * 8, (h & 0xFFFF) | (0x08UL << 16) | (0x8EUL << 40) | ((h >> 16) << 48));
                }
                Cpu.Idtr = new VirtTools.Accelerators.Emulator.DescriptorTable { Base = Idt, Limit = 256 * 8 - 1 };
                Cpu.SetControlRegisters(0x11, 0, 0, 0);
                Flat(0x08, gdt[1], 0x10, gdt[2]);
                Cpu[X86Cpu.RSP] = StackTop;
                break;
            case "long":
                for (int v = 0; v < 256; v++)
                {
                    ulong h = StubBase + (ulong)v * 16;
                    Write64(Idt + (ulong)v * 16, (h & 0xFFFF) | (0x18UL << 16) | (0x8EUL << 40) | (((h >> 16) & 0xFFFF) << 48));
                    Write64(Idt + (ulong)v * 16 + 8, h >> 32);
                }
                Cpu.Idtr = new VirtTools.Accelerators.Emulator.DescriptorTable { Base = Idt, Limit = 256 * 16 - 1 };
                // PML4 0x10000 -> PDPT 0x11000 -> PD 0x12000: 2 MiB identity pages over the first 1 GiB.
                Write64(0x10000, 0x11000 | 7);
                Write64(0x11000, 0x12000 | 7);
                for (ulong k = 0; k < 512; k++)
                {
                    Write64(0x12000 + k * 8, (k << 21) | 0x87);
                }
                Cpu.SetControlRegisters(0x80000011, 0x10000, 0x20, 0x500);
                Flat(0x18, gdt[3], 0x20, gdt[4]);
                Cpu[X86Cpu.RSP] = StackTop;
                break;
            default:
                throw new ArgumentException(mode);
        }
    }

    private void Flat(ushort cs, ulong csd, ushort ds, ulong dsd)
    {
        Cpu.SetSegment(X86Decoder.CS, Segment.FromDescriptor(cs, csd));
        foreach (int s in new[] { X86Decoder.SS, X86Decoder.DS, X86Decoder.ES, X86Decoder.FS, X86Decoder.GS })
        {
            Cpu.SetSegment(s, Segment.FromDescriptor(ds, dsd));
        }
    }

    public string Mode { get; }
    public TestRam Ram { get; }
    public TestBus Bus { get; }
    public X86Cpu Cpu { get; }

    public string Bits => Mode switch { "real" => "16", "protected" => "32", _ => "64" };

    /// <summary>Assembles <paramref name="body"/> at the code address (org and bits set) and points RIP at it.</summary>
    public ulong Load(string body)
    {
        ulong at = Mode == "real" ? RealCode : Code;
        byte[] code = Nasm.Assemble($"bits {Bits}\norg 0x{at:x}\n{body}\n");
        Ram.Write(at, code);
        Cpu.Rip = at;
        return at;
    }

    public const ulong RealCode = 0x7C00;

    /// <summary>
    /// The emulator's side of a host-CPU oracle run: <paramref name="code"/> at the code address with a
    /// HLT after it, <paramref name="data"/> at <paramref name="dataAt"/>, the general registers from
    /// <paramref name="registers"/> (RSP left as set up) with <paramref name="dataRegister"/> pointing at
    /// the data, <paramref name="flags"/>, then at most 10,000 instructions. Returns "" when it halted
    /// right after the code, else why not (the start of a mismatch report).
    /// </summary>
    public string RunOracleSequence(byte[] code, ulong dataAt, byte[] data, IReadOnlyList<ulong> registers, int dataRegister, uint flags)
    {
        Ram.Write(Code, code);
        Ram.Pointer[Code + (ulong)code.Length] = 0xF4;
        Ram.Write(dataAt, data);
        for (int r = 0; r < registers.Count; r++)
        {
            if (r != X86Cpu.RSP) { Cpu[r] = registers[r]; }
        }
        Cpu[dataRegister] = dataAt;
        Cpu.SetFlags(flags);
        Cpu.Rip = Code;
        var exit = Cpu.Run(10_000);
        return exit != CpuExit.Halted || Cpu.Rip != Code + (ulong)code.Length + 1
            ? $" emulator stopped ({exit}) at {Cpu.Rip:x} after exception {Cpu.LastException};"
            : "";
    }

    /// <summary>Runs until HLT (or the budget); returns why it stopped.</summary>
    public CpuExit Run(long budget = 1_000_000) => Cpu.Run(budget);

    public ulong Read64(ulong a) => *(ulong*)(Ram.Pointer + a);
    public uint Read32(ulong a) => *(uint*)(Ram.Pointer + a);
    public ushort Read16(ulong a) => *(ushort*)(Ram.Pointer + a);
    public void Write64(ulong a, ulong v) => *(ulong*)(Ram.Pointer + a) = v;
    public void Write32(ulong a, uint v) => *(uint*)(Ram.Pointer + a) = v;

    /// <summary>The HLT stub of <paramref name="vector"/> has executed: RIP is just past it.</summary>
    public bool StoppedInHandler(int vector) => Cpu.Halted && Cpu.Rip == StubBase + (ulong)vector * 16 + 1
        || (Mode == "real" && Cpu.Halted && Cpu.GetSegment(X86Decoder.CS).Base + Cpu.Rip == StubBase + (ulong)vector * 16 + 1);

    public void Dispose() => Ram.Dispose();
}
