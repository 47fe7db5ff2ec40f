using VirtTools.Machine;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The <see cref="IVirtualCpu"/> over <see cref="X86Cpu"/>. Port I/O is completed through the exit
/// handler inside the CPU, and Run returns after it (as a KVM exit would), so the
/// machine sees debug-exit writes and stop requests promptly; long stretches without I/O return
/// <see cref="VcpuExitReason.Interrupted"/> after a slice of instructions.
/// </summary>
public sealed unsafe class EmulatorVcpu : IVirtualCpu
{
    /// <summary>Instructions per Run call when the guest does no I/O (tens of milliseconds).</summary>
    public const long SliceInstructions = 4_000_000;

    private readonly HandlerBus bus = new();

    internal EmulatorVcpu(int index, MemoryRegion low)
    {
        Index = index;
        Cpu = new X86Cpu((byte*)low.HostAddress, low.Size, bus) { ExitOnPortIo = true };
    }

    public int Index { get; }

    /// <summary>The CPU itself, for the debugger (registers, breakpoints, single steps).</summary>
    public X86Cpu Cpu { get; }

    public ulong? InstructionsRetired => Cpu.InstructionCount;

    /// <summary>Runs at most <paramref name="budget"/> instructions (Step-VirtMachine).</summary>
    public VcpuExit Run(IVcpuExitHandler handler, long budget)
    {
        bus.Handler = handler;
        var exit = Cpu.Run(budget);
        return exit switch
        {
            CpuExit.Halted => new VcpuExit(VcpuExitReason.Halt),
            CpuExit.TripleFault => new VcpuExit(VcpuExitReason.Shutdown, Cpu.Rip,
                $"triple fault (last exception {Cpu.LastException}, error code 0x{Cpu.LastErrorCode:x})"),
            CpuExit.PortIo => new VcpuExit(VcpuExitReason.PortIo, bus.LastPort),
            CpuExit.Breakpoint or CpuExit.PortBreakpoint => new VcpuExit(VcpuExitReason.Debug, Cpu.Rip, exit.ToString()),
            _ => new VcpuExit(VcpuExitReason.Interrupted),
        };
    }

    public VcpuExit Run(IVcpuExitHandler handler) => Run(handler, SliceInstructions);

    public void RequestExit() => Cpu.RequestStop();

    public Registers GetRegisters() => new()
    {
        Rax = Cpu[X86Cpu.RAX], Rbx = Cpu[X86Cpu.RBX], Rcx = Cpu[X86Cpu.RCX], Rdx = Cpu[X86Cpu.RDX],
        Rsi = Cpu[X86Cpu.RSI], Rdi = Cpu[X86Cpu.RDI], Rsp = Cpu[X86Cpu.RSP], Rbp = Cpu[X86Cpu.RBP],
        R8 = Cpu[8], R9 = Cpu[9], R10 = Cpu[10], R11 = Cpu[11], R12 = Cpu[12], R13 = Cpu[13], R14 = Cpu[14], R15 = Cpu[15],
        Rip = Cpu.Rip, Rflags = Cpu.GetFlags(),
    };

    public void SetRegisters(in Registers r)
    {
        Cpu[X86Cpu.RAX] = r.Rax; Cpu[X86Cpu.RBX] = r.Rbx; Cpu[X86Cpu.RCX] = r.Rcx; Cpu[X86Cpu.RDX] = r.Rdx;
        Cpu[X86Cpu.RSI] = r.Rsi; Cpu[X86Cpu.RDI] = r.Rdi; Cpu[X86Cpu.RSP] = r.Rsp; Cpu[X86Cpu.RBP] = r.Rbp;
        Cpu[8] = r.R8; Cpu[9] = r.R9; Cpu[10] = r.R10; Cpu[11] = r.R11; Cpu[12] = r.R12; Cpu[13] = r.R13; Cpu[14] = r.R14; Cpu[15] = r.R15;
        Cpu.Rip = r.Rip;
        Cpu.SetFlags((uint)r.Rflags);
    }

    public SpecialRegisters GetSpecialRegisters() => new()
    {
        Es = ToKvm(Cpu.GetSegment(X86Decoder.ES)), Cs = ToKvm(Cpu.GetSegment(X86Decoder.CS)),
        Ss = ToKvm(Cpu.GetSegment(X86Decoder.SS)), Ds = ToKvm(Cpu.GetSegment(X86Decoder.DS)),
        Fs = ToKvm(Cpu.GetSegment(X86Decoder.FS)), Gs = ToKvm(Cpu.GetSegment(X86Decoder.GS)),
        Tr = ToKvm(Cpu.Tr), Ldt = ToKvm(Cpu.Ldtr),
        Gdt = new Accelerators.DescriptorTable(Cpu.Gdtr.Base, Cpu.Gdtr.Limit),
        Idt = new Accelerators.DescriptorTable(Cpu.Idtr.Base, Cpu.Idtr.Limit),
        Cr0 = Cpu.Cr0, Cr2 = Cpu.Cr2, Cr3 = Cpu.Cr3, Cr4 = Cpu.Cr4, Cr8 = Cpu.Cr8, Efer = Cpu.Efer,
        ApicBase = Cpu.GetMsr(X86Cpu.MsrApicBase),
    };

    public void SetSpecialRegisters(in SpecialRegisters s)
    {
        Cpu.Gdtr = new DescriptorTable { Base = s.Gdt.Base, Limit = s.Gdt.Limit };
        Cpu.Idtr = new DescriptorTable { Base = s.Idt.Base, Limit = s.Idt.Limit };
        Cpu.Tr = FromKvm(s.Tr);
        Cpu.Ldtr = FromKvm(s.Ldt);
        Cpu.Cr2 = s.Cr2;
        Cpu.Cr8 = s.Cr8;
        Cpu.SetControlRegisters(s.Cr0, s.Cr3, s.Cr4, s.Efer);
        Cpu.SetSegment(X86Decoder.ES, FromKvm(s.Es));
        Cpu.SetSegment(X86Decoder.SS, FromKvm(s.Ss));
        Cpu.SetSegment(X86Decoder.DS, FromKvm(s.Ds));
        Cpu.SetSegment(X86Decoder.FS, FromKvm(s.Fs));
        Cpu.SetSegment(X86Decoder.GS, FromKvm(s.Gs));
        Cpu.SetSegment(X86Decoder.CS, FromKvm(s.Cs));
    }

    public void SetMsrs(ReadOnlySpan<MsrEntry> msrs)
    {
        foreach (var m in msrs)
        {
            Cpu.SetMsr(m.Index, m.Value);
        }
    }

    public void Dispose()
    {
    }

    internal static SegmentRegister ToKvm(Segment s) => new()
    {
        Base = s.Base,
        Limit = s.Limit,
        Selector = s.Selector,
        Type = (byte)(s.Attr & 0xF),
        S = (byte)((s.Attr >> 4) & 1),
        Dpl = (byte)((s.Attr >> 5) & 3),
        Present = (byte)((s.Attr >> 7) & 1),
        Avl = (byte)((s.Attr >> 12) & 1),
        L = (byte)((s.Attr >> 13) & 1),
        Db = (byte)((s.Attr >> 14) & 1),
        G = (byte)((s.Attr >> 15) & 1),
        Unusable = (byte)(s.Present ? 0 : 1),
    };

    internal static Segment FromKvm(SegmentRegister s) => new()
    {
        Base = s.Base,
        Limit = s.Limit,
        Selector = s.Selector,
        Attr = (ushort)((s.Type & 0xF) | ((s.S & 1) << 4) | ((s.Dpl & 3) << 5) | ((s.Present & 1) << 7)
            | ((s.Avl & 1) << 12) | ((s.L & 1) << 13) | ((s.Db & 1) << 14) | ((s.G & 1) << 15)),
    };

    /// <summary>Adapts the machine's exit handler to the CPU's bus interface.</summary>
    private sealed class HandlerBus : IEmulatorBus
    {
        public IVcpuExitHandler? Handler;
        public ushort LastPort;

        public ulong ReadPort(ushort port, int size)
        {
            LastPort = port;
            Span<byte> data = stackalloc byte[8];
            data.Clear();
            Handler!.PortRead(port, data[..size]);
            return BitConverter.ToUInt64(data);
        }

        public void WritePort(ushort port, int size, ulong value)
        {
            LastPort = port;
            Span<byte> data = stackalloc byte[8];
            BitConverter.TryWriteBytes(data, value);
            Handler!.PortWrite(port, data[..size]);
        }

        public ulong ReadMmio(ulong address, int size)
        {
            Span<byte> data = stackalloc byte[8];
            data.Clear();
            Handler!.MmioRead(address, data[..size]);
            return BitConverter.ToUInt64(data);
        }

        public void WriteMmio(ulong address, int size, ulong value)
        {
            Span<byte> data = stackalloc byte[8];
            BitConverter.TryWriteBytes(data, value);
            Handler!.MmioWrite(address, data[..size]);
        }

        public bool InterruptPending => Handler?.Interrupts?.HasPending ?? false;

        public int AcknowledgeInterrupt() => Handler!.Interrupts!.Acknowledge();

        public void FpuError() => Handler!.FpuError();
    }
}
