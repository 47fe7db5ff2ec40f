using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// x87 behaviour the host oracle cannot show (it runs in 64-bit user mode only): CPUID, the
/// classic coprocessor probe, CR0.TS/EM/MP for WAIT, the 16-bit real-mode FSAVE image, FRSTOR,
/// and the transcendentals that go through binary64.
/// </summary>
public sealed class X87Tests
{
    private static CpuHarness RunToHalt(string mode, string body)
    {
        var h = new CpuHarness(mode);
        h.Load(body + "\nhlt");
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(-1, h.Cpu.LastException);
        return h;
    }

    [Fact]
    public void CpuidReportsTheFpuAndKeepsTheOtherBits()
    {
        uint edx = X86Cpu.CpuidLeaf(1, 0).Edx;
        Assert.Equal(1u, edx & 1);                  // FPU
        Assert.Equal(1u << 8, edx & (1u << 8));     // CX8
        Assert.Equal(1u << 15, edx & (1u << 15));   // CMOV
    }

    [Fact]
    public void TheCoprocessorProbeFindsAnFpu()
    {
        // The probe BIOSes and kernels use: FNINIT, then FNSTSW/FNSTCW over a non-zero word.
        using var h = RunToHalt("real", "fninit\nmov word [0x600], 0x5a5a\nmov word [0x602], 0x5a5a\nfnstsw [0x600]\nfnstcw [0x602]");
        Assert.Equal(0, h.Read16(0x600));
        Assert.Equal(0x037F, h.Read16(0x602));
    }

    [Theory]
    [InlineData(0x8u)]  // TS alone: WAIT runs (it faults only with MP too)
    [InlineData(0x4u)]  // EM alone: WAIT runs
    public void WaitIgnoresTsWithoutMpAndEm(uint bits)
    {
        using var h = RunToHalt("protected", $"mov eax, cr0\nor eax, {bits}\nmov cr0, eax\nwait\nmov ebx, 0x77");
        Assert.Equal(0x77UL, h.Cpu[X86Cpu.RBX]);
    }

    [Fact]
    public void RealModeFsaveUsesThe16BitRealModeImage()
    {
        // fld1 at a known linear address, then FSAVE with a 16-bit operand size: 14-byte environment + 80 bytes.
        using var h = RunToHalt("real", "fninit\nfld1\nfnsave [0x700]\nfnstcw [0x800]");
        Assert.Equal(0x037F, h.Read16(0x700));            // FCW
        Assert.Equal(0x3800, h.Read16(0x702));            // FSW: TOP = 7
        Assert.Equal(0x3FFF, h.Read16(0x704));            // FTW: R7 valid, the rest empty
        ulong fld1 = CpuHarness.RealCode + 2;             // after the 2-byte FNINIT
        Assert.Equal((ushort)fld1, h.Read16(0x706));      // FIP bits 15..0
        Assert.Equal((ushort)(((fld1 >> 16) << 12) | 0x1E8), h.Read16(0x708)); // FIP bits 19..16 and FOP (D9 E8)
        Assert.Equal(0x8000000000000000UL, h.Read64(0x700 + 14)); // ST0 = 1.0
        Assert.Equal(0x3FFF, h.Read16(0x700 + 22));
        Assert.Equal(0x037F, h.Read16(0x800));            // FSAVE reinitialised the FPU
    }

    [Fact]
    public void FrstorRestoresWhatFsaveSaved()
    {
        using var h = RunToHalt("protected",
            "fninit\nfldpi\nfld1\nfldl2e\nfnsave [0x700]\nfld1\nfrstor [0x700]\nfstp tword [0x800]\nfstp tword [0x810]\nfstp tword [0x820]\nfnstsw [0x830]");
        Assert.Equal(0xB8AA3B295C17F0BCUL, h.Read64(0x800)); // log2(e)
        Assert.Equal(0x8000000000000000UL, h.Read64(0x810)); // 1
        Assert.Equal(0xC90FDAA22168C235UL, h.Read64(0x820)); // pi
        Assert.Equal(0, h.Read16(0x830) & 0x3800);           // TOP back to 0
    }

    [Theory]
    [InlineData("fsin", 0.5)]
    [InlineData("fcos", 0.5)]
    [InlineData("fptan", 0.5)]
    [InlineData("f2xm1", 0.5)]
    public void TranscendentalsAreCloseToTheHostLibm(string op, double x)
    {
        double expected = op switch { "fsin" => Math.Sin(x), "fcos" => Math.Cos(x), "fptan" => Math.Tan(x), _ => Math.Pow(2, x) - 1 };
        using var run = new CpuHarness("protected");
        run.Write64(0x700, (ulong)BitConverter.DoubleToInt64Bits(x));
        run.Load($"fninit\nfld qword [0x700]\n{op}\n{(op == "fptan" ? "fstp st0\n" : "")}fstp qword [0x708]\nhlt");
        Assert.Equal(CpuExit.Halted, run.Run());
        double got = BitConverter.Int64BitsToDouble((long)run.Read64(0x708));
        Assert.Equal(expected, got, 1e-15);
    }

    [Fact]
    public void FyL2xAndFpatan()
    {
        using var h = new CpuHarness("protected");
        h.Write64(0x700, (ulong)BitConverter.DoubleToInt64Bits(3.0));
        h.Write64(0x708, (ulong)BitConverter.DoubleToInt64Bits(8.0));
        h.Load("fninit\nfld qword [0x700]\nfld qword [0x708]\nfyl2x\nfstp qword [0x710]\nfld1\nfld1\nfpatan\nfstp qword [0x718]\nhlt");
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(9.0, BitConverter.Int64BitsToDouble((long)h.Read64(0x710)), 1e-15);       // 3 * log2(8)
        Assert.Equal(Math.PI / 4, BitConverter.Int64BitsToDouble((long)h.Read64(0x718)), 1e-15); // atan(1/1)
    }
}
