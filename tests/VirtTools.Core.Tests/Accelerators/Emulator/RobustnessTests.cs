using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// Random bytes as code never throw out of the emulator or hang it (every run has an instruction
/// budget); accesses outside RAM go to the MMIO callbacks; self-modifying code runs its new bytes.
/// </summary>
public sealed class RobustnessTests
{
    [Theory]
    [InlineData("real", 1)]
    [InlineData("protected", 2)]
    [InlineData("long", 3)]
    public void RandomCodeNeverEscapesTheEmulator(string mode, int seed)
    {
        var random = new Random(seed);
        byte[] code = new byte[4096];
        for (int run = 0; run < 200; run++)
        {
            random.NextBytes(code);
            using var fresh = new CpuHarness(mode);
            fresh.Ram.Write(CpuHarness.Code, code);
            fresh.Ram.Write(CpuHarness.RealCode, code.AsSpan(0, 1024));
            fresh.Cpu.Rip = mode == "real" ? CpuHarness.RealCode : CpuHarness.Code;
            for (int r = 0; r < 16; r++)
            {
                if (r != X86Cpu.RSP) { fresh.Cpu[r] = (ulong)random.NextInt64(); }
            }
            // Whatever the bytes do, Run returns within the budget (a HLT stub, a shutdown or the budget).
            var exit = fresh.Cpu.Run(20_000);
            Assert.True(Enum.IsDefined(exit));
            Assert.True(fresh.Cpu.InstructionCount <= 20_000 + 16);
        }
    }

    [Fact]
    public void AccessesOutsideRamAreMmio()
    {
        using var h = new CpuHarness("long");
        // 0xC0000000 is in the identity map (first 1 GiB only): map PDPT entry 3 to 2 MiB pages too.
        h.Write64(0x11000 + 3 * 8, 0x13000 | 7);
        for (ulong k = 0; k < 512; k++)
        {
            h.Write64(0x13000 + k * 8, (0xC0000000 + (k << 21)) | 0x87);
        }
        h.Load("mov rax, 0xC0001000\nmov dword [rax], 5\nmov ebx, [rax]\nhlt");
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(1, h.Bus.MmioWrites);
        Assert.Equal(1, h.Bus.MmioReads);
        Assert.Equal(0xFFFFFFFFUL, h.Cpu[X86Cpu.RBX]);
    }

    [Theory]
    [InlineData("real")]
    [InlineData("protected")]
    [InlineData("long")]
    public void SelfModifyingCodeRunsTheNewBytes(string mode)
    {
        using var h = new CpuHarness(mode);
        // Run the patched instruction once as 'mov al, 1', patch its immediate to 2, run it again.
        string bx = mode == "real" ? "bx" : mode == "protected" ? "ebx" : "rbx";
        h.Load($"""
            xor ecx, ecx
            again:
            patch: mov al, 1
            add cl, al
            mov {bx}, patch + 1
            mov byte [{bx}], 2
            cmp cl, 3
            jb again
            hlt
            """);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(3UL, h.Cpu[X86Cpu.RCX] & 0xFF); // 1 + 2
    }

    [Fact]
    public void RepStringInstructionsStayInterruptible()
    {
        using var h = new CpuHarness("long");
        // REP STOSB over 2^40 bytes would take forever: the budget still ends the run.
        h.Load("mov rcx, 1 << 40\nmov rdi, 0x200000\nxor eax, eax\nrep stosb\nhlt");
        var exit = h.Cpu.Run(100);
        Assert.True(exit == CpuExit.BudgetExhausted, $"{exit} at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}, rdi {h.Cpu[X86Cpu.RDI]:x}");
    }

    [Fact]
    public void TheBudgetCountsSingleSteps()
    {
        using var h = new CpuHarness("protected");
        h.Load("l: inc eax\njmp l");
        Assert.Equal(CpuExit.BudgetExhausted, h.Cpu.Run(7));
        Assert.Equal(7UL, h.Cpu.InstructionCount);
        Assert.Equal(4UL, h.Cpu[X86Cpu.RAX]);
    }
}
