namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The debug exceptions (Intel SDM vol. 3, chapter 18): TF single-step, and the DR0-DR3 linear
/// breakpoints DR7 enables (L0-L3/G0-G3). Instruction breakpoints (R/W = 00) are faults before
/// the instruction unless EFLAGS.RF is set, which the CPU clears once an instruction completes;
/// data breakpoints (01 write, 11 read or write, over 1, 2, 4 or 8 aligned bytes) are traps
/// after the instruction. DR6 gets B0-B3 and BS; the CPU never clears DR6 bits. I/O breakpoints
/// (R/W = 10) and DR7.GD are not implemented.
/// </summary>
public sealed unsafe partial class X86Cpu
{
    /// <summary>DR6.BS (bit 14): the #DB was a single-step trap.</summary>
    public const ulong Dr6SingleStep = 0x4000;

    /// <summary>
    /// MOV SS or POP SS just executed: its debug traps are not taken, so the trap after the next
    /// instruction covers both (SDM vol. 3, 7.8.3: debug exceptions are inhibited too).
    /// </summary>
    private bool debugShadow;

    /// <summary>DR6 B0-B3 bits of data breakpoints the current instruction hit, delivered after it.</summary>
    private ulong dataBreakpointHits;

    /// <summary>Some breakpoint is enabled in DR7: the CPU executes one instruction at a time and checks them.</summary>
    internal bool DebugBreakpointsArmed => (Dr[7] & 0xFF) != 0;

    /// <summary>MOV to DRn. A data breakpoint's page must never stay in the TLB (see <see cref="DataBreakpointPage"/>).</summary>
    internal void WriteDebugRegister(int n, ulong value)
    {
        Dr[n] = value;
        if (n < 4 || n == 7)
        {
            FlushTlb();
        }
    }

    /// <summary>
    /// One instruction under debug conditions: an instruction breakpoint faults before it, then
    /// it runs, RF is cleared, and a single-step or data-breakpoint trap follows it.
    /// </summary>
    private void ExecuteDebugged(ref Insn i)
    {
        bool resume = (eflags & RF) != 0;
        if (!resume && DebugBreakpointsArmed)
        {
            ulong hits = Matches((SegBase[X86Decoder.CS] + Rip) & LinearMask, 1, execute: true, write: false);
            if (hits != 0)
            {
                Dr[6] = (Dr[6] & ~0xFUL) | hits;
                throw new GuestFault(Vectors.DB);
            }
        }
        bool step = (eflags & TF) != 0;
        if (!debugShadow)
        {
            // Hits of an instruction that faulted are dropped; those held by MOV SS are kept.
            dataBreakpointHits = 0;
        }
        debugShadow = false;
        Execute(ref i);
        if (resume && i.Op != Op.Iret)
        {
            eflags &= ~RF;
        }
        if (debugShadow)
        {
            return;
        }
        ulong traps = (step ? Dr6SingleStep : 0) | dataBreakpointHits;
        if (traps != 0)
        {
            dataBreakpointHits = 0;
            Dr[6] = (Dr[6] & ~0xFUL) | traps;
            RaiseException(Vectors.DB, null);
        }
    }

    /// <summary>Records data breakpoints hit by an access (called from the memory slow path only).</summary>
    private void WatchData(ulong linear, int size, bool write)
    {
        if (DebugBreakpointsArmed)
        {
            dataBreakpointHits |= Matches(linear, size, execute: false, write);
        }
    }

    /// <summary>The page holds an enabled data breakpoint, so the TLB must not map it.</summary>
    private bool DataBreakpointPage(ulong linear)
    {
        if (!DebugBreakpointsArmed)
        {
            return false;
        }
        ulong page = linear >> 12;
        for (int n = 0; n < 4; n++)
        {
            if (Enabled(n) && Kind(n) != 0 && (Dr[n] >> 12 == page || (Dr[n] + 7) >> 12 == page))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>B0-B3 bits of the enabled breakpoints of the requested kind that overlap [linear, linear + size).</summary>
    private ulong Matches(ulong linear, int size, bool execute, bool write)
    {
        ulong hits = 0;
        for (int n = 0; n < 4; n++)
        {
            if (!Enabled(n))
            {
                continue;
            }
            int kind = Kind(n);
            bool wanted = execute ? kind == 0 : kind == 3 || (kind == 1 && write);
            if (!wanted)
            {
                continue;
            }
            // LEN: 00 one byte, 01 two, 11 four, 10 eight; the address is aligned down to it.
            ulong length = execute ? 1UL : ((Dr[7] >> (18 + 4 * n)) & 3) switch { 0 => 1UL, 1 => 2UL, 3 => 4UL, _ => 8UL };
            ulong start = Dr[n] & ~(length - 1) & LinearMask;
            if (linear < start + length && start < linear + (ulong)size)
            {
                hits |= 1UL << n;
            }
        }
        return hits;
    }

    private bool Enabled(int n) => ((Dr[7] >> (2 * n)) & 3) != 0;

    /// <summary>R/W field: 00 execute, 01 data write, 10 I/O, 11 data read or write.</summary>
    private int Kind(int n) => (int)((Dr[7] >> (16 + 4 * n)) & 3);
}
