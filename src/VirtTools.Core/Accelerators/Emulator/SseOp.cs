namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// The SSE/SSE2 operations, one per behaviour (carried in <see cref="Insn.Sub"/> of an
/// <see cref="Op.Sse"/> instruction). Encodings that differ only by element type share an
/// operation; <see cref="Insn.Simd"/> says which: the floating-point form (<see cref="SimdForm"/>)
/// or the integer element size in bytes.
/// </summary>
internal enum SseOp : byte
{
    Invalid,
    // Moves. Aligned/unaligned 128-bit loads and stores (MOVAPS/MOVUPS/MOVDQA/MOVDQU/MOVNT*).
    Load128, Load128Unaligned, Store128, Store128Unaligned,
    // MOVSS/MOVSD: a register source merges into the low element, a memory source zeroes the rest.
    MovScalarLoad, MovScalarStore,
    // MOVLPS/MOVLPD, MOVHPS/MOVHPD (memory forms), MOVHLPS, MOVLHPS (register forms).
    MovLowLoad, MovLowStore, MovHighLoad, MovHighStore, Movhlps, Movlhps,
    // MOVD/MOVQ between general registers or memory and the low element (OpSize 4 or 8).
    MovGprToXmm, MovXmmToGpr,
    // MOVQ xmm, xmm/m64 (F3 0F 7E) and MOVQ xmm/m64, xmm (66 0F D6): the upper half becomes zero.
    MovqLoad, MovqStore,
    Movnti, Movmskps, Movmskpd, Pmovmskb, Maskmovdqu,
    // Bitwise (PS, PD and integer forms are the same operation).
    And, AndNot, Or, Xor,
    // Integer arithmetic with the element size in Simd.
    Padd, Psub, Padds, Paddus, Psubs, Psubus, Pcmpeq, Pcmpgt,
    Pminub, Pmaxub, Pminsw, Pmaxsw, Pavgb, Pavgw, Psadbw,
    Pmullw, Pmulhw, Pmulhuw, Pmuludq, Pmaddwd,
    // Shifts by an XMM/m128 count, or by Imm (the Imm forms), element size in Simd.
    Psll, Psrl, Psra, PsllImm, PsrlImm, PsraImm, PslldqImm, PsrldqImm,
    // Interleaves (element size in Simd; UNPCKLPS = PUNPCKLDQ, UNPCKLPD = PUNPCKLQDQ) and packs.
    Punpckl, Punpckh, Packsswb, Packssdw, Packuswb,
    Pshufd, Pshufhw, Pshuflw, Shufps, Shufpd, Pinsrw, Pextrw,
    // Floating point, form in Simd.
    FAdd, FSub, FMul, FDiv, FMin, FMax, FSqrt, FCmp, Comis, Ucomis,
    // Conversions. The integer side of the scalar ones is 4 or 8 bytes: OpSize for CVTSI2SS/SD (the
    // r/m source), Simd for CVT(T)SS2SI/SD2SI (the destination; OpSize is then the m32/m64 source).
    Cvtsi2ss, Cvtsi2sd, Cvtss2si, Cvttss2si, Cvtsd2si, Cvttsd2si, Cvtss2sd, Cvtsd2ss,
    Cvtps2pd, Cvtpd2ps, Cvtdq2ps, Cvtps2dq, Cvttps2dq, Cvtdq2pd, Cvtpd2dq, Cvttpd2dq,
    // State.
    Ldmxcsr, Stmxcsr, Fxsave, Fxrstor, Clflush,
}

/// <summary>The floating-point form of an SSE instruction: its mandatory prefix none, 66, F3, F2.</summary>
internal static class SimdForm
{
    public const byte PackedSingle = 0, PackedDouble = 1, ScalarSingle = 2, ScalarDouble = 3;
}
