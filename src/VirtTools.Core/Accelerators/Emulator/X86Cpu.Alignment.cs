namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// Alignment checking (Intel SDM vol. 3, 6.15 "Interrupt 17", table 6-7): with CR0.AM, EFLAGS.AC
/// and CPL 3, a data or stack access of 2, 4 or 8 bytes at an address that is not a multiple of
/// its size raises #AC(0). The check costs nothing while it is off: the software TLB is flushed
/// when it turns on (CR0, CPL and EFLAGS changes) and is not refilled while it is on, so every
/// access takes the slow path, which checks. The emulator splits some operands into smaller
/// accesses; those callers state the rule for the whole operand and suspend the per-access one:
/// an 80-bit x87 value is 8 + 2 bytes (table: 8), FSTENV/FLDENV areas are written field by field
/// (table: 2 or 4 by operand size, as the fields are), FSAVE/FRSTOR add 80-bit registers at
/// offsets 14 or 28 + 10k (table: the area's 2 or 4 only), 16-byte SSE operands are never
/// checked (#GP for the aligned forms instead; MOVUPS/MOVDQU are exempt), nor are implicit
/// supervisor accesses to the GDT, LDT, IDT and TSS.
/// </summary>
public sealed partial class X86Cpu
{
    private const ulong Cr0Am = 0x40000;

    /// <summary>Set while a caller that checks the whole operand itself makes its part accesses.</summary>
    private bool alignmentCheckSuspended;

    /// <summary>CR0.AM, EFLAGS.AC and CPL 3: memory accesses must stay off the TLB fast path.</summary>
    internal bool AlignmentCheckEnabled => (eflags & AC) != 0 && Cpl == 3 && (Cr0 & Cr0Am) != 0 && ProtectedMode;

    /// <summary>Called from the slow memory path before the access: #AC(0) for a misaligned one.</summary>
    private void CheckAccessAlignment(ulong linear, int size)
    {
        if ((linear & (ulong)(size - 1)) != 0 && !alignmentCheckSuspended && AlignmentCheckEnabled)
        {
            throw new GuestFault(Vectors.AC, 0);
        }
    }

    /// <summary>EFLAGS.AC may have turned alignment checking on: empty the TLB so accesses go through the check.</summary>
    private void AlignmentFlagChanged(uint oldFlags)
    {
        if ((oldFlags & AC) == 0 && AlignmentCheckEnabled)
        {
            FlushTlb();
        }
    }

    /// <summary>
    /// Suspends the per-access check for a caller that checked its whole operand; it restores the
    /// returned value in a finally block.
    /// </summary>
    private bool SuspendAccessAlignment()
    {
        bool was = alignmentCheckSuspended;
        alignmentCheckSuspended = true;
        return was;
    }
}
