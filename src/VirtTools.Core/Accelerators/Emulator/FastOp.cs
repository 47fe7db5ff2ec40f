namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The hot executor's operation: one of the frequent <see cref="Op"/>s with its operand size and
/// register-or-memory form already decided by the decoder, so executing it takes one switch and
/// no size or form branch. Values are <c>form * 4 + size index</c> (sizes 1, 2, 4, 8 bytes); a
/// <see cref="None"/> instruction takes the general executor. Names: Reg = register, Mem =
/// memory, Imm = immediate operand; destination first.
/// </summary>
internal enum FastOp : byte
{
    None,
    AluRegReg1, AluRegReg2, AluRegReg4, AluRegReg8,         // AluRmReg, register form: Rm op= Reg
    AluRegRegRev1, AluRegRegRev2, AluRegRegRev4, AluRegRegRev8, // AluRegRm, register form: Reg op= Rm
    AluRegMem1, AluRegMem2, AluRegMem4, AluRegMem8,         // AluRegRm, memory form
    AluMemReg1, AluMemReg2, AluMemReg4, AluMemReg8,         // AluRmReg, memory form
    AluRegImm1, AluRegImm2, AluRegImm4, AluRegImm8,         // AluRmImm, register form
    AluMemImm1, AluMemImm2, AluMemImm4, AluMemImm8,         // AluRmImm, memory form
    MovRegReg1, MovRegReg2, MovRegReg4, MovRegReg8,         // MovRmReg, register form: Rm = Reg
    MovRegRegRev1, MovRegRegRev2, MovRegRegRev4, MovRegRegRev8, // MovRegRm, register form: Reg = Rm
    MovRegMem1, MovRegMem2, MovRegMem4, MovRegMem8,         // MovRegRm, memory form (load)
    MovMemReg1, MovMemReg2, MovMemReg4, MovMemReg8,         // MovRmReg, memory form (store)
    MovRegImm1, MovRegImm2, MovRegImm4, MovRegImm8,         // MovRmImm, register form
    MovMemImm1, MovMemImm2, MovMemImm4, MovMemImm8,         // MovRmImm, memory form
    // Size 1 never decodes for these three; the rows keep the arithmetic of the values.
    Lea1, Lea2, Lea4, Lea8,
    Jcc1, Jcc2, Jcc4, Jcc8,                                 // size = branch target width
    Jmp1, Jmp2, Jmp4, Jmp8,
}

/// <summary>Chooses an instruction's <see cref="FastOp"/> once, when it is decoded.</summary>
internal static class FastOps
{
    public static FastOp Select(in Insn i)
    {
        int form = i.Op switch
        {
            Op.AluRmReg => i.IsMem ? 3 : 0,
            Op.AluRegRm => i.IsMem ? 2 : 1,
            Op.AluRmImm => i.IsMem ? 5 : 4,
            Op.MovRmReg => i.IsMem ? 9 : 6,
            Op.MovRegRm => i.IsMem ? 8 : 7,
            Op.MovRmImm => i.IsMem ? 11 : 10,
            Op.Lea => 12,
            Op.Jcc => 13,
            Op.Jmp => 14,
            _ => -1,
        };
        int sizeIndex = i.OpSize switch { 1 => 0, 2 => 1, 4 => 2, 8 => 3, _ => -1 };
        if (form < 0 || sizeIndex < 0)
        {
            return FastOp.None;
        }
        return (FastOp)(1 + form * 4 + sizeIndex);
    }
}
