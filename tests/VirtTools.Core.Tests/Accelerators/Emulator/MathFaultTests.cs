using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// Pending x87 exceptions (#MF, vector 16) and the machine-check vector (18): an unmasked
/// divide-by-zero sets FSW.ES, and the next waiting x87 instruction or WAIT reports it with
/// CR0.NE = 1 (return address: that instruction, no error code), or asserts FERR# on the bus with
/// CR0.NE = 0; the no-wait control instructions never report it.
/// </summary>
public sealed class MathFaultTests
{
    /// <summary>Unmasks ZE, divides 1 by 0 (ES set, no fault yet), reads FSW without waiting into EBX, then runs <paramref name="next"/> at 'f'.</summary>
    private static string Body(string mode, bool ne, string next)
    {
        string acc = mode == "long" ? "rax" : "eax";
        return $"""
            mov {acc}, cr0
            {(ne ? "or" : "and")} {acc}, {(ne ? "0x20" : "~0x20")}
            mov cr0, {acc}
            fninit
            fldcw [cw]
            fld1
            fldz
            fdivp st1, st0
            fnstsw ax
            movzx ebx, ax
            f: {next}
            end: hlt
            align 16
            cw: dw 0x037B
            align 16
            buf: times 128 db 0
            """;
    }

    private static ulong Label(CpuHarness h, string body, string label)
    {
        byte[] withLabel = Nasm.Assemble($"bits {h.Bits}\norg 0x{CpuHarness.Code:x}\n{body}\nlabel_at: dq {label}\n");
        return BitConverter.ToUInt64(withLabel, withLabel.Length - 8);
    }

    [Theory]
    [InlineData("protected", "fwait")]
    [InlineData("protected", "fadd st0, st0")]
    [InlineData("protected", "fld1")]
    [InlineData("protected", "fldcw [cw]")]
    [InlineData("protected", "fstsw ax")]          // WAIT + FNSTSW: the WAIT reports it
    [InlineData("protected", "fsave [buf]")]
    [InlineData("protected", "fild dword [buf]")]
    [InlineData("long", "fwait")]
    [InlineData("long", "fmul st0, st1")]
    public void WaitingInstructionRaisesMathFault(string mode, string next)
    {
        using var h = new CpuHarness(mode);
        string body = Body(mode, ne: true, next);
        h.Load(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(Vectors.MF), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        Assert.Equal(0x84UL, h.Cpu[X86Cpu.RBX] & 0x84);   // ES and ZE were already set before the fault
        ulong sp = h.Cpu[X86Cpu.RSP];
        int w = mode == "long" ? 8 : 4;
        ulong ret = w == 8 ? h.Read64(sp) : h.Read32(sp);
        ulong cs = w == 8 ? h.Read64(sp + 8) : h.Read32(sp + 4);
        Assert.Equal(Label(h, body, "f"), ret);                       // no error code: the return address is on top
        Assert.Equal(h.Cpu.GetSegment(X86Decoder.CS).Selector, (ushort)cs);
    }

    [Theory]
    [InlineData("fnclex")]
    [InlineData("fninit")]
    [InlineData("fnstcw [buf]")]
    [InlineData("fnstsw [buf]")]
    [InlineData("fnstenv [buf]")]
    [InlineData("fnsave [buf]")]
    [InlineData("db 0xdb, 0xe0")]   // FNENI: an 8087 leftover, a no-wait NOP since the 387
    public void NoWaitControlInstructionsDoNotReportIt(string next)
    {
        using var h = new CpuHarness("protected");
        string body = Body("protected", ne: true, next);
        h.Load(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(-1, h.Cpu.LastException);
        Assert.Equal(Label(h, body, "end") + 1, h.Cpu.Rip);
    }

    [Fact]
    public void HandlerClearsTheExceptionAndTheInstructionRestarts()
    {
        using var h = new CpuHarness("protected");
        string body = Body("protected", ne: true, "fadd st0, st0\nmov esi, [count]") + """

            mf: fnclex
            inc dword [count]
            iretd
            count: dd 0
            """;
        ulong handler = Label(h, body, "mf");
        h.Write64(CpuHarness.Idt + Vectors.MF * 8, (handler & 0xFFFF) | (0x08UL << 16) | (0x8EUL << 40) | ((handler >> 16) << 48));
        h.Load(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Vectors.MF, h.Cpu.LastException);
        Assert.Equal(1UL, h.Cpu[X86Cpu.RSI]);
        Assert.Equal(Label(h, body, "end") + 1, h.Cpu.Rip);
        Assert.Equal(CpuHarness.StackTop, h.Cpu[X86Cpu.RSP]);
    }

    [Fact]
    public void WithoutCr0NeTheWaitingInstructionAssertsFerrAndRunsOn()
    {
        using var h = new CpuHarness("protected");
        string body = Body("protected", ne: false, "fadd st0, st0");
        h.Load(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(-1, h.Cpu.LastException);
        Assert.Equal(1, h.Bus.FpuErrors);
        Assert.Equal(Label(h, body, "end") + 1, h.Cpu.Rip);
    }

    [Fact]
    public void MachineCheckIsNotReportedButInt18StillVectors()
    {
        var (_, _, _, edx) = X86Cpu.CpuidLeaf(1, 0);
        Assert.Equal(0u, edx & (1u << 7));    // MCE
        Assert.Equal(0u, edx & (1u << 14));   // MCA
        using var h = new CpuHarness("protected");
        string body = "f: int 18\nn: hlt";
        h.Load(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(Vectors.MC), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        Assert.Equal(Label(h, body, "n"), h.Read32(h.Cpu[X86Cpu.RSP]));
    }
}
