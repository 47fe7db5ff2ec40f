namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// Reporting pending x87 exceptions (Intel SDM vol. 1, 8.7, and vol. 3, 6.15 "Interrupt 16").
/// An unmasked exception only sets FSW.ES (X87Fpu.UpdateErrorSummary); the next waiting x87
/// instruction, or WAIT, reports it before doing anything else. With CR0.NE = 1 that is #MF
/// (vector 16, no error code) with the waiting instruction as the return address, so the handler
/// can FNCLEX and restart it. With CR0.NE = 0 it is the PC-AT route: the FPU asserts FERR#, the
/// board turns it into IRQ13 (the slave 8259's IR5) through <see cref="IEmulatorBus.FpuError"/>,
/// and the instruction runs on (QEMU and Bochs do the same; the real CPU freezes at the waiting
/// instruction until the interrupt comes, which only changes where the handler finds EIP).
/// </summary>
public sealed partial class X86Cpu
{
    private const ulong Cr0Ne = 0x20;

    /// <summary>
    /// The no-wait control instructions that never report a pending exception (SDM vol. 1, 8.3.12):
    /// FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE, and the 8087 leftovers FNENI/FNDISI/FNSETPM
    /// (DB E0, E1, E4), which the 387 and later run as no-wait NOPs.
    /// </summary>
    private static bool IsNoWaitX87(ref Insn i)
    {
        int modrm = (int)i.Imm;
        int reg = (modrm >> 3) & 7;
        if (i.IsMem)
        {
            return (i.Sub == 1 && reg is 6 or 7) || (i.Sub == 5 && reg is 6 or 7);
        }
        return (i.Sub == 3 && modrm is >= 0xE0 and <= 0xE4) || (i.Sub == 7 && modrm == 0xE0);
    }

    /// <summary>Before a waiting x87 instruction or WAIT: reports a pending unmasked exception.</summary>
    private void CheckPendingX87Exception()
    {
        if ((X87.Status & X87Fpu.ErrorSummary) == 0)
        {
            return;
        }
        if ((Cr0 & Cr0Ne) != 0)
        {
            throw new GuestFault(Vectors.MF);
        }
        bus.FpuError();
    }
}
