using System.Runtime.CompilerServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// A software x86 CPU: real mode, protected mode with paging (incl. PAE), long mode. Instructions
/// are decoded once into blocks of <see cref="Insn"/> (see <see cref="BlockCache"/>) and executed
/// from there; flags are computed lazily from the last arithmetic result. One instance is one vCPU
/// over one guest RAM; all machine state stays in the instance (no process-wide state).
/// </summary>
[SkipLocalsInit]
public sealed unsafe partial class X86Cpu
{
    // Register numbers in the x86 encoding order.
    public const int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

    /// <summary>General registers RAX..R15.</summary>
    internal GeneralRegisters R;
    internal readonly Segment[] Seg = new Segment[6];
    /// <summary>Segment bases as used for addressing: 0 for ES/CS/SS/DS in 64-bit mode.</summary>
    internal SegmentBases SegBase;

    public ulong Rip;
    public ulong Cr0 = 0x60000010, Cr2, Cr3, Cr4, Cr8, Efer, Xcr0 = 1;
    public readonly ulong[] Dr = new ulong[8];
    public DescriptorTable Gdtr, Idtr = new() { Limit = 0x3FF };
    public Segment Ldtr, Tr;
    /// <summary>Current privilege level.</summary>
    public int Cpl { get; private set; }
    /// <summary>Default code size of the current code segment: 16, 32 or 64.</summary>
    public int CodeBits { get; private set; } = 16;
    /// <summary>Stack pointer width in bytes: 2, 4 or 8.</summary>
    internal int StackSize = 2;
    /// <summary>Truncation of linear addresses: 32 bits outside long mode.</summary>
    internal ulong LinearMask = 0xFFFFFFFF;
    /// <summary>Instruction pointer width: IP wraps at 64 KiB in 16-bit code.</summary>
    internal ulong IpMask = 0xFFFF;

    private readonly byte* ram;
    private readonly ulong ramSize;
    private readonly IEmulatorBus bus;
    private readonly BlockCache cache;

    /// <summary>Physical address mask: bit 20 cleared while the A20 gate is disabled.</summary>
    public ulong A20Mask { get; set; } = ~0UL;

    public bool Halted { get; internal set; }
    /// <summary>Set by a triple fault; the CPU stays stopped until <see cref="Reset"/>.</summary>
    public bool Shutdown { get; private set; }
    /// <summary>Instructions retired since reset.</summary>
    public ulong InstructionCount { get; private set; }
    public ulong TscOffset;
    /// <summary>The most recent exception delivered (vector), -1 if none; for tests and the debugger.</summary>
    public int LastException { get; private set; } = -1;
    public uint LastErrorCode { get; private set; }

    /// <summary>Interrupts are held off for one instruction after STI, MOV SS and POP SS.</summary>
    private bool interruptShadow;
    private volatile bool stopRequested;
    internal bool PortBreakHit;
    /// <summary>Return from <see cref="Run"/> after an instruction that did port I/O (accelerator use).</summary>
    public bool ExitOnPortIo { get; set; }
    internal bool PortIoDone;
    private readonly HashSet<ulong> breakpoints = new();
    private readonly HashSet<ushort> portBreakpoints = new();
    private readonly Dictionary<uint, ulong> msrs = new();

    public X86Cpu(byte* ram, ulong ramSize, IEmulatorBus bus)
    {
        this.ram = ram;
        this.ramSize = ramSize;
        this.bus = bus;
        cache = new BlockCache(ramSize);
        Reset();
    }

    /// <summary>Power-on state (Intel SDM vol. 3, 10.1.1), but starting at 0000:0000 until the loader sets CS:IP.</summary>
    public void Reset()
    {
        ((Span<ulong>)R).Clear();
        for (int s = 0; s < 6; s++)
        {
            Seg[s] = Segment.Real(0);
        }
        Seg[X86Decoder.CS].Attr = 0x9B;
        Rip = 0;
        Cr0 = 0x60000010;
        Cr2 = Cr3 = Cr4 = Cr8 = Efer = 0;
        Gdtr = default;
        Idtr = new DescriptorTable { Limit = 0x3FF };
        Ldtr = default;
        Tr = new Segment { Attr = 0x8B, Limit = 0xFFFF };
        SetFlags(0x2);
        Halted = false;
        Shutdown = false;
        LastException = -1;
        msrs.Clear();
        ResetSse();
        ResetX87();
        cache.Clear();
        UpdateMode();
    }

    /// <summary>Makes the current or next <see cref="Run"/> return Stopped at a block boundary (thread-safe).</summary>
    public void RequestStop() => stopRequested = true;

    public ISet<ulong> Breakpoints => breakpoints;
    public ISet<ushort> PortBreakpoints => portBreakpoints;

    /// <summary>
    /// Runs until <paramref name="budget"/> instructions have retired, HLT, a breakpoint or a
    /// triple fault. An interrupted REP string instruction counts once per resumption.
    /// </summary>
    public CpuExit Run(long budget)
    {
        bool first = true;
        while (true)
        {
            if (Shutdown)
            {
                return CpuExit.TripleFault;
            }
            if (stopRequested)
            {
                // Consumed here, so a request that arrives between two Run calls is not lost.
                stopRequested = false;
                return CpuExit.Stopped;
            }
            if (budget <= 0)
            {
                return CpuExit.BudgetExhausted;
            }
            if ((eflags & IF) != 0 && !interruptShadow && bus.InterruptPending)
            {
                Halted = false;
                int vector = bus.AcknowledgeInterrupt();
                Protect(() => DeliverInterrupt(vector, null, Rip, InterruptSource.External));
                continue;
            }
            interruptShadow = false;
            if (Halted)
            {
                return CpuExit.Halted;
            }
            if (breakpoints.Count != 0 && !first && breakpoints.Contains(Seg[X86Decoder.CS].Base + Rip))
            {
                return CpuExit.Breakpoint;
            }
            first = false;
            try
            {
                Block block = cache.Lookup(this);
                budget -= ExecuteBlock(block, budget);
            }
            catch (GuestFault fault)
            {
                budget--;
                RaiseException(fault.Vector, fault.ErrorCode);
            }
            if (PortBreakHit)
            {
                PortBreakHit = false;
                PortIoDone = false;
                return CpuExit.PortBreakpoint;
            }
            if (PortIoDone)
            {
                PortIoDone = false;
                if (ExitOnPortIo)
                {
                    return CpuExit.PortIo;
                }
            }
        }
    }

    /// <summary>
    /// Runs a decoded block. Its own method (not inlined into <see cref="Run"/>), so the JIT's
    /// inlining budget goes to the hot handlers of <see cref="Execute"/> rather than to Run's
    /// cold checks. Optimized on first use, as the handlers in X86Cpu.FastPath (and so without a
    /// profile-guided layout that would favour whichever forms ran first).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private long ExecuteBlock(Block block, long budget)
    {
        Insn[] insns = block.Insns;
        int limit = (int)Math.Min(insns.Length, budget);
        int done = 0;
        try
        {
            if (breakpoints.Count == 0 && (eflags & TF) == 0 && !DebugBreakpointsArmed)
            {
                ref Insn first = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(insns);
                while (done < limit)
                {
                    Execute(ref Unsafe.Add(ref first, done));
                    done++;
                    // POPF or IRET may have set TF: the next instruction is single-stepped.
                    if (!block.Valid || (eflags & TF) != 0)
                    {
                        break;
                    }
                }
            }
            else if (limit > 0)
            {
                // With breakpoints set, TF on or DR7 armed, return to Run after each instruction
                // so it can check the next address; TF as it was before the instruction decides
                // the trap, so POPF that clears TF still traps and POPF that sets it does not yet.
                ExecuteDebugged(ref insns[0]);
                done = 1;
            }
        }
        finally
        {
            InstructionCount += (ulong)done;
        }
        return done;
    }

    private void Protect(Action action)
    {
        try
        {
            action();
        }
        catch (GuestFault fault)
        {
            RaiseException(fault.Vector, fault.ErrorCode);
        }
    }

    /// <summary>Recomputes the mode-derived fields after CR0, EFER, CS or SS change.</summary>
    internal void UpdateMode()
    {
        bool pe = (Cr0 & 1) != 0;
        bool lma = (Efer & 0x400) != 0;
        ref Segment cs = ref Seg[X86Decoder.CS];
        if (!pe)
        {
            CodeBits = cs.Big ? 32 : 16;
            Cpl = 0;
        }
        else if (lma && cs.Long)
        {
            CodeBits = 64;
        }
        else
        {
            CodeBits = cs.Big ? 32 : 16;
        }
        if (pe)
        {
            Cpl = Seg[X86Decoder.CS].Selector & 3;
        }
        StackSize = CodeBits == 64 ? 8 : Seg[X86Decoder.SS].Big ? 4 : 2;
        IpMask = CodeBits switch { 16 => 0xFFFF, 32 => 0xFFFFFFFF, _ => ~0UL };
        LinearMask = lma ? ~0UL : 0xFFFFFFFF;
        for (int s = 0; s < 6; s++)
        {
            SegBase[s] = CodeBits == 64 && s < 4 ? 0 : Seg[s].Base;
        }
        FlushTlb();
    }

    public ulong GetMsr(uint index) => msrs.TryGetValue(index, out ulong v) ? v : 0;

    /// <summary>Register a general register by number (0 = RAX .. 15 = R15).</summary>
    public ulong this[int register]
    {
        get => R[register];
        set => R[register] = value;
    }

    public Segment GetSegment(int index) => Seg[index];

    /// <summary>Loads a segment register's selector and cache directly (loaders and tests).</summary>
    public void SetSegment(int index, Segment segment)
    {
        Seg[index] = segment;
        UpdateMode();
    }

    public void SetControlRegisters(ulong cr0, ulong cr3, ulong cr4, ulong efer)
    {
        Cr0 = cr0;
        Cr3 = cr3;
        Cr4 = cr4;
        Efer = efer;
        UpdateMode();
    }

    public void SetMsr(uint index, ulong value) => WriteMsr(index, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Mask(int size) => size == 8 ? ~0UL : (1UL << (size * 8)) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong SignBit(int size) => 1UL << (size * 8 - 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long SignExtend(ulong v, int size) => size switch
    {
        1 => (sbyte)v,
        2 => (short)v,
        4 => (int)v,
        _ => (long)v,
    };
}
