namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The emulator's own operation codes: one per behaviour, not per encoding. The decoder folds
/// the many x86 encodings of an operation (register, memory, immediate, accumulator forms) into
/// one of these plus operand fields in <see cref="Insn"/>, so the executor's switch stays small.
/// </summary>
internal enum Op : ushort
{
    Invalid,
    // ALU: Sub = 0 add, 1 or, 2 adc, 3 sbb, 4 and, 5 sub, 6 xor, 7 cmp.
    AluRmReg, AluRegRm, AluRmImm,
    TestRmReg, TestRmImm,
    IncRm, DecRm, NotRm, NegRm,
    MulRm, ImulRm, DivRm, IdivRm, ImulRegRm, ImulRegRmImm,
    // Shifts: Sub = 0 rol, 1 ror, 2 rcl, 3 rcr, 4 shl, 5 shr, 6 sal (= shl), 7 sar; count in Imm or CL.
    ShiftRmImm, ShiftRmCl, ShldImm, ShldCl, ShrdImm, ShrdCl,
    MovRmReg, MovRegRm, MovRmImm, MovRmSreg, MovSregRm, Lea,
    Movzx, Movsx, Movsxd, XchgRmReg, Xadd, Cmpxchg, Cmpxchg8b, Bswap,
    PushImm, PushRm, PushSreg, PopRm, PopSreg, Pusha, Popa, Pushf, Popf, Enter, Leave,
    Cbw, Cwd, Sahf, Lahf, Cmc, Clc, Stc, Cli, Sti, Cld, Std, Salc, Xlat,
    Daa, Das, Aaa, Aas, Aam, Aad,
    Jcc, Jmp, JmpRm, JmpFar, JmpFarMem, Call, CallRm, CallFar, CallFarMem,
    Ret, Retf, Iret, Loop, Int, Int3, Into, Int1, Bound,
    InImm, InDx, OutImm, OutDx, Ins, Outs, Movs, Cmps, Stos, Lods, Scas,
    Hlt, Nop, Ud, Cpuid, Rdtsc, Rdtscp, Rdmsr, Wrmsr, MovFromCr, MovToCr, MovFromDr, MovToDr,
    Lgdt, Lidt, Sgdt, Sidt, Lldt, Sldt, Ltr, Str, Smsw, Lmsw, Invlpg, Clts, Swapgs,
    Syscall, Sysret, Sysenter, Sysexit, Lar, Lsl, Verr, Verw, Arpl,
    LoadFarPointer, Setcc, Cmovcc,
    // Bit tests: Sub = 0 bt, 1 bts, 2 btr, 3 btc.
    BtRmReg, BtRmImm, Bsf, Bsr, Tzcnt, Lzcnt, Popcnt,
    Wait, Fpu, Pause, Xgetbv, Rdrand,
    // SSE/SSE2: the operation is an SseOp in Sub (X86Cpu.Sse).
    Sse,
}
