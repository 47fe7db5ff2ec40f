namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The hot executor's operation: one of the frequent <see cref="Op"/>s with its operand size and
/// register-or-memory form already decided by the decoder, so executing it takes one switch and
/// no size or form branch. One row of four per form, in the order of the sizes 1, 2, 4 and 8
/// bytes (<see cref="FastOps.Select"/> adds the size's column to the row); a <see cref="None"/>
/// instruction takes the general executor. Names: Reg = register, Mem =
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
    // Size 1 never decodes for these three (the executor would hand it to the cold path).
    Lea1, Lea2, Lea4, Lea8,
    Jcc1, Jcc2, Jcc4, Jcc8,                                 // size = branch target width
    Jmp1, Jmp2, Jmp4, Jmp8,
}

/// <summary>Chooses an instruction's <see cref="FastOp"/> once, when it is decoded.</summary>
internal static class FastOps
{
    public static FastOp Select(in Insn i)
    {
        bool mem = i.IsMem;
        // The row of the form (its 1-byte value); the operand size picks the column.
        FastOp row = i.Op switch
        {
            Op.AluRmReg => mem ? FastOp.AluMemReg1 : FastOp.AluRegReg1,
            Op.AluRegRm => mem ? FastOp.AluRegMem1 : FastOp.AluRegRegRev1,
            Op.AluRmImm => mem ? FastOp.AluMemImm1 : FastOp.AluRegImm1,
            Op.MovRmReg => mem ? FastOp.MovMemReg1 : FastOp.MovRegReg1,
            Op.MovRegRm => mem ? FastOp.MovRegMem1 : FastOp.MovRegRegRev1,
            Op.MovRmImm => mem ? FastOp.MovMemImm1 : FastOp.MovRegImm1,
            Op.Lea => FastOp.Lea1,
            Op.Jcc => FastOp.Jcc1,
            Op.Jmp => FastOp.Jmp1,
            _ => FastOp.None,
        };
        int column = i.OpSize switch { 1 => 0, 2 => 1, 4 => 2, 8 => 3, _ => -1 };
        return row == FastOp.None || column < 0 ? FastOp.None : (FastOp)((int)row + column);
    }
}
