using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// The SSE access rules and faults (SDM vol. 3, 2.5 and 13.1-13.4; vol. 2 per instruction): #UD
/// without CR4.OSFXSR or with CR0.EM, #NM with CR0.TS, #GP(0) for misaligned 16-byte operands and
/// reserved MXCSR bits, #XM/#UD for an unmasked SIMD floating-point exception; FXSAVE/FXRSTOR
/// round trips and CPUID's feature bits. Each fault returns to the faulting instruction (label f).
/// </summary>
public sealed class SseExceptionTests
{
    private const ulong Cr0Em = 4, Cr0Ts = 8, Cr4Osfxsr = 0x200, Cr4Osxmmexcpt = 0x400;

    private static CpuHarness Start(string mode, string body, ulong cr0Set = 0, ulong cr4Set = Cr4Osfxsr)
    {
        var h = new CpuHarness(mode);
        h.Cpu.SetControlRegisters(h.Cpu.Cr0 | cr0Set, h.Cpu.Cr3, h.Cpu.Cr4 | cr4Set, h.Cpu.Efer);
        h.Load(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        return h;
    }

    private static ulong Label(CpuHarness h, string body, string label)
    {
        byte[] withLabel = Nasm.Assemble($"bits {h.Bits}\norg 0x{CpuHarness.Code:x}\n{body}\nlabel_at: dq {label}\n");
        return BitConverter.ToUInt64(withLabel, withLabel.Length - 8);
    }

    /// <summary>Asserts the handler of <paramref name="vector"/> ran for the instruction at label f; returns the frame.</summary>
    private static ulong AssertFault(CpuHarness h, string body, int vector, bool errorCode)
    {
        Assert.True(h.StoppedInHandler(vector), $"expected #{vector}, stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        ulong sp = h.Cpu[X86Cpu.RSP];
        int w = h.Mode == "long" ? 8 : 4;
        ulong ripSlot = sp + (errorCode ? (ulong)w : 0);
        ulong rip = w == 8 ? h.Read64(ripSlot) : h.Read32(ripSlot);
        Assert.Equal(Label(h, body, "f"), rip);
        if (errorCode)
        {
            Assert.Equal(0UL, w == 8 ? h.Read64(sp) : h.Read32(sp));
        }
        return sp;
    }

    [Theory]
    [InlineData("protected")]
    [InlineData("long")]
    public void SseWithoutCr4OsfxsrIsInvalidOpcode(string mode)
    {
        const string body = "f: addps xmm0, xmm1\nhlt";
        using var h = Start(mode, body, cr4Set: 0);
        AssertFault(h, body, Vectors.UD, false);
    }

    [Theory]
    [InlineData("protected", "f: movdqa xmm3, xmm4\nhlt")]
    [InlineData("long", "f: ldmxcsr [0x200000]\nhlt")]
    public void SseWithCr0EmIsInvalidOpcode(string mode, string body)
    {
        using var h = Start(mode, body, cr0Set: Cr0Em);
        AssertFault(h, body, Vectors.UD, false);
    }

    [Theory]
    [InlineData("protected", "f: paddd xmm0, xmm1\nhlt")]
    [InlineData("long", "f: cvtsi2sd xmm0, rax\nhlt")]
    [InlineData("long", "f: fxsave [0x200000]\nhlt")]
    public void SseWithCr0TsIsDeviceNotAvailable(string mode, string body)
    {
        using var h = Start(mode, body, cr0Set: Cr0Ts);
        AssertFault(h, body, Vectors.NM, false);
    }

    [Theory]
    [InlineData("protected", "mov eax, 0x200008\nf: movaps xmm0, [eax]\nhlt")]
    [InlineData("long", "mov eax, 0x200004\nf: movdqa [rax], xmm1\nhlt")]
    [InlineData("long", "mov eax, 0x200001\nf: paddb xmm1, [rax]\nhlt")]
    [InlineData("long", "mov eax, 0x200008\nf: fxsave [rax]\nhlt")]
    public void MisalignedSixteenByteOperandIsGeneralProtection(string mode, string body)
    {
        using var h = Start(mode, body);
        AssertFault(h, body, Vectors.GP, true);
    }

    [Fact]
    public void UnalignedFormsAndNarrowOperandsNeedNoAlignment()
    {
        const string body = """
            mov eax, 0x200001
            mov dword [rax], 0x3f800000
            movups xmm0, [rax]
            movdqu [rax + 32], xmm0
            addss xmm0, [rax]
            movq xmm2, [rax + 3]
            hlt
            """;
        using var h = Start("long", body);
        Assert.Equal(-1, h.Cpu.LastException);
        Assert.Equal(2.0f, BitConverter.Int32BitsToSingle((int)(uint)h.Cpu.GetXmm(0).Lo));
    }

    [Fact]
    public void LdmxcsrWithAReservedBitIsGeneralProtection()
    {
        const string body = "mov dword [0x200000], 0x11f80\nf: ldmxcsr [0x200000]\nhlt";
        using var h = Start("long", body);
        AssertFault(h, body, Vectors.GP, true);
        Assert.Equal(X86Cpu.MxcsrDefault, h.Cpu.Mxcsr);
    }

    [Theory]
    [InlineData(true, Vectors.XM)]
    [InlineData(false, Vectors.UD)]
    public void UnmaskedDivideByZeroRaisesSimdExceptionAndLeavesTheDestination(bool osxmmexcpt, int vector)
    {
        // ZM (bit 9) clear: 1.0 / 0.0 must fault before writing xmm0, with MXCSR.ZE set.
        const string body = """
            mov dword [0x200000], 0x1d80
            ldmxcsr [0x200000]
            mov eax, 0x3f800000
            movd xmm0, eax
            xorps xmm1, xmm1
            f: divss xmm0, xmm1
            hlt
            """;
        using var h = Start("long", body, cr4Set: Cr4Osfxsr | (osxmmexcpt ? Cr4Osxmmexcpt : 0));
        AssertFault(h, body, vector, false);
        Assert.Equal(0x3f800000UL, h.Cpu.GetXmm(0).Lo);
        Assert.Equal(0x1d84u, h.Cpu.Mxcsr);
    }

    [Theory]
    [InlineData("protected", 8)]
    [InlineData("long", 16)]
    public void FxsaveAndFxrstorRoundTripXmmAndMxcsr(string mode, int saved)
    {
        string p = mode == "long" ? "rax" : "eax";
        string body = $"""
            mov eax, 0x200000
            fninit
            fxsave [{p}]
            mov dword [{p} + 24], 0x7fc0
            fxrstor [{p}]
            hlt
            """;
        var h = new CpuHarness(mode);
        using var _ = h;
        h.Cpu.SetControlRegisters(h.Cpu.Cr0, h.Cpu.Cr3, h.Cpu.Cr4 | Cr4Osfxsr, h.Cpu.Efer);
        for (int k = 0; k < 16; k++)
        {
            h.Cpu.SetXmm(k, new XmmRegister(0x1111111111111111UL * (ulong)(k + 1), ~(ulong)k));
        }
        h.Load(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(-1, h.Cpu.LastException);
        Assert.Equal(0x037F, h.Read16(0x200000));          // FCW as FNINIT leaves it, from the x87 unit
        Assert.Equal(0xFFFFu, h.Read32(0x200000 + 28));    // MXCSR_MASK: DAZ supported
        for (int k = 0; k < saved; k++)
        {
            Assert.Equal(0x1111111111111111UL * (ulong)(k + 1), h.Read64(0x200000 + 160 + 16 * (ulong)k));
            Assert.Equal(~(ulong)k, h.Read64(0x200000 + 168 + 16 * (ulong)k));
        }
        Assert.Equal(0x7fc0u, h.Cpu.Mxcsr);
        Assert.Equal(new XmmRegister(0x2222222222222222UL, ~1UL), h.Cpu.GetXmm(1));
    }

    [Fact]
    public void FxrstorWithAReservedMxcsrBitIsGeneralProtection()
    {
        const string body = "mov eax, 0x200000\nfxsave [rax]\nmov dword [rax + 24], 0x80001f80\nf: fxrstor [rax]\nhlt";
        using var h = Start("long", body);
        AssertFault(h, body, Vectors.GP, true);
    }

    [Fact]
    public void CpuidReportsSseSse2FxsrAndClflush()
    {
        uint edx = X86Cpu.CpuidLeaf(1, 0).Edx;
        foreach (int bit in new[] { 19, 24, 25, 26 })
        {
            Assert.True((edx & (1u << bit)) != 0, $"CPUID.1:EDX bit {bit}");
        }
        Assert.Equal(0u, X86Cpu.CpuidLeaf(1, 0).Ecx & 1); // no SSE3: its instructions are #UD
    }

    [Fact]
    public void MmxFormsAndSse3AreInvalidOpcodes()
    {
        foreach (string insn in new[] { "paddb mm0, mm1", "movq mm0, [0x200000]", "addsubpd xmm0, xmm1", "rsqrtps xmm0, xmm1" })
        {
            string body = $"f: {insn}\nhlt";
            using var h = Start("long", body);
            AssertFault(h, body, Vectors.UD, false);
        }
    }
}
