using System.Text;
using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// The host CPU as the oracle for SSE/SSE2: each sequence loads MXCSR (random rounding, DAZ, FTZ
/// and sticky flags, every exception masked) and all sixteen XMM registers from the data buffer,
/// runs random SSE/SSE2 instructions (register, [r15+disp] and general-register operands over
/// NaN, infinity, denormal, zero, huge and integer edge patterns), then stores every XMM register
/// and MXCSR back. The data buffer, general registers and flags must match the emulator's. A
/// mismatch prints the sequence and where the initial state is. VIRTTOOLS_ORACLE_RUNS raises the count.
/// </summary>
public sealed unsafe class HostOracleSseTests
{
    private const uint All = 0x8D5; // CF PF AF ZF SF OF
    private const ulong GuestData = 0x200000;
    private const int DataSize = 4096;
    // Data buffer layout: operands at 0..0x7FF, initial XMM at 0x800, final XMM at 0xA00, MXCSR in/out/host.
    private const int XmmIn = 0x800, XmmOut = 0xA00, MxcsrIn = 0xB00, MxcsrOut = 0xB04, MxcsrHost = 0xB08;

    private static readonly string[] R64 = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    private static readonly string[] R32 = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
    private static readonly int[] Gprs = { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };

    private static readonly string[] Packed =
    {
        "addps", "addpd", "subps", "subpd", "mulps", "mulpd", "divps", "divpd", "minps", "minpd", "maxps", "maxpd",
        "sqrtps", "sqrtpd", "andps", "andpd", "andnps", "andnpd", "orps", "orpd", "xorps", "xorpd",
        "pand", "pandn", "por", "pxor", "paddb", "paddw", "paddd", "paddq", "psubb", "psubw", "psubd", "psubq",
        "paddusb", "paddusw", "psubusb", "psubusw", "paddsb", "paddsw", "psubsb", "psubsw",
        "pcmpeqb", "pcmpeqw", "pcmpeqd", "pcmpgtb", "pcmpgtw", "pcmpgtd", "pminub", "pmaxub", "pminsw", "pmaxsw",
        "pavgb", "pavgw", "psadbw", "pmullw", "pmulhw", "pmulhuw", "pmuludq", "pmaddwd",
        "psllw", "pslld", "psllq", "psrlw", "psrld", "psrlq", "psraw", "psrad",
        "punpcklbw", "punpcklwd", "punpckldq", "punpcklqdq", "punpckhbw", "punpckhwd", "punpckhdq", "punpckhqdq",
        "packsswb", "packssdw", "packuswb", "unpcklps", "unpckhps", "unpcklpd", "unpckhpd",
        "cvtdq2ps", "cvtps2dq", "cvttps2dq", "cvtpd2ps", "cvtpd2dq", "cvttpd2dq", "movaps", "movapd", "movdqa",
    };
    private static readonly string[] Scalar32 = { "addss", "subss", "mulss", "divss", "minss", "maxss", "sqrtss", "cvtss2sd", "comiss", "ucomiss", "movss" };
    private static readonly string[] Scalar64 = { "addsd", "subsd", "mulsd", "divsd", "minsd", "maxsd", "sqrtsd", "cvtsd2ss", "comisd", "ucomisd", "movsd", "cvtdq2pd", "cvtps2pd", "movq" };
    private static readonly string[] Unaligned = { "movups", "movupd", "movdqu" };
    private static readonly string[] Shuffles = { "shufps", "shufpd", "pshufd", "pshufhw", "pshuflw" };
    private static readonly string[] Compares = { "cmpps", "cmppd", "cmpss", "cmpsd" };

    /// <summary>Random SSE/SSE2 instructions; <paramref name="bits"/> 32 means compatibility mode (XMM0-7, no REX, EBP as the data base).</summary>
    private sealed class Generator(Random rnd, int bits = 64)
    {
        public readonly StringBuilder Text = new();
        private static readonly string[] Gprs32 = { "eax", "ecx", "edx", "ebx", "esi", "edi" };

        private string X() => $"xmm{rnd.Next(bits == 64 ? 16 : 8)}";
        /// <summary>A 64-bit register in 64-bit code; in 32-bit code the 32-bit form of the instruction is generated instead.</summary>
        private string G64() => bits == 64 ? R64[Gprs[rnd.Next(Gprs.Length)]] : G32();
        private string G32() => bits == 64 ? R32[Gprs[rnd.Next(Gprs.Length)]] : Gprs32[rnd.Next(Gprs32.Length)];
        private string Base => bits == 64 ? "r15" : "ebp";
        private string Aligned() => $"[{Base} + {16 * rnd.Next(0x80)}]";
        private string Any(int size) => $"[{Base} + {rnd.Next(0x800 - size)}]";
        private string XmmOr(string mem) => rnd.Next(3) == 0 ? mem : X();

        public void Next()
        {
            string line = rnd.Next(14) switch
            {
                0 or 1 or 2 => $"{Packed[rnd.Next(Packed.Length)]} {X()}, {XmmOr(Aligned())}",
                3 => $"{Scalar32[rnd.Next(Scalar32.Length)]} {X()}, {XmmOr("dword " + Any(4))}",
                4 => $"{Scalar64[rnd.Next(Scalar64.Length)]} {X()}, {XmmOr("qword " + Any(8))}",
                5 => $"{Compares[rnd.Next(4)]} {X()}, {X()}, {rnd.Next(8)}",
                6 => $"{Shuffles[rnd.Next(Shuffles.Length)]} {X()}, {XmmOr(Aligned())}, {rnd.Next(256)}",
                7 => rnd.Next(3) switch
                {
                    0 => $"{new[] { "psllw", "pslld", "psllq", "psrlw", "psrld", "psrlq", "psraw", "psrad" }[rnd.Next(8)]} {X()}, {rnd.Next(70)}",
                    1 => $"{(rnd.Next(2) == 0 ? "pslldq" : "psrldq")} {X()}, {rnd.Next(20)}",
                    _ => rnd.Next(2) == 0 ? $"pinsrw {X()}, {(rnd.Next(2) == 0 ? G32() : "word " + Any(2))}, {rnd.Next(8)}" : $"pextrw {G32()}, {X()}, {rnd.Next(8)}",
                },
                8 => rnd.Next(6) switch
                {
                    0 => $"movd {X()}, {(rnd.Next(2) == 0 ? G32() : "dword " + Any(4))}",
                    1 => bits == 64 ? $"movq {X()}, {G64()}" : $"movd {X()}, {G32()}",
                    2 => $"movd {(rnd.Next(2) == 0 ? G32() : "dword " + Any(4))}, {X()}",
                    3 => $"movq {(rnd.Next(2) == 0 && bits == 64 ? G64() : "qword " + Any(8))}, {X()}",
                    4 => $"{new[] { "movmskps", "movmskpd", "pmovmskb" }[rnd.Next(3)]} {G32()}, {X()}",
                    _ => $"movnti {Any(8)}, {(rnd.Next(2) == 0 ? G32() : G64())}",
                },
                9 => rnd.Next(2) == 0
                    ? $"{(rnd.Next(2) == 0 ? "cvtsi2ss" : "cvtsi2sd")} {X()}, {rnd.Next(4) switch { 0 => G32(), 1 => G64(), 2 => "dword " + Any(4), _ => bits == 64 ? "qword " + Any(8) : "dword " + Any(4) }}"
                    : $"{new[] { "cvtss2si", "cvttss2si" }[rnd.Next(2)]} {(rnd.Next(2) == 0 ? G32() : G64())}, {XmmOr("dword " + Any(4))}",
                10 => $"{new[] { "cvtsd2si", "cvttsd2si" }[rnd.Next(2)]} {(rnd.Next(2) == 0 ? G32() : G64())}, {XmmOr("qword " + Any(8))}",
                11 => rnd.Next(5) switch
                {
                    0 => $"{new[] { "movaps", "movapd", "movdqa", "movntps", "movntpd", "movntdq" }[rnd.Next(6)]} {Aligned()}, {X()}",
                    1 => $"{Unaligned[rnd.Next(3)]} {(rnd.Next(2) == 0 ? Any(16) : X())}, {X()}",
                    2 => $"{Unaligned[rnd.Next(3)]} {X()}, {Any(16)}",
                    3 => rnd.Next(2) == 0 ? $"movss dword {Any(4)}, {X()}" : $"movsd qword {Any(8)}, {X()}",
                    _ => rnd.Next(2) == 0 ? $"movq {X()}, {X()}" : $"movq qword {Any(8)}, {X()}",
                },
                12 => rnd.Next(3) switch
                {
                    0 => $"{new[] { "movlps", "movhps", "movlpd", "movhpd" }[rnd.Next(4)]} {X()}, {Any(8)}",
                    1 => $"{new[] { "movlps", "movhps", "movlpd", "movhpd" }[rnd.Next(4)]} {Any(8)}, {X()}",
                    _ => $"{(rnd.Next(2) == 0 ? "movhlps" : "movlhps")} {X()}, {X()}",
                },
                _ => $"{Packed[rnd.Next(14)]} {X()}, {X()}",
            };
            Text.AppendLine(line);
        }
    }

    /// <summary>Float, double and integer patterns that reach the special cases: NaNs, infinities, denormals, zeros, limits.</summary>
    private static void FillOperands(Random rnd, Span<byte> data)
    {
        uint[] singles = { 0, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001, 0x7FA00000,
            0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x4F000000, 0xCF000000, 0x5F000000, 0x3F000000, 0x40490FDB };
        ulong[] doubles = { 0, 0x8000000000000000, 0x3FF0000000000000, 0xBFF0000000000000, 0x7FF0000000000000, 0xFFF0000000000000,
            0x7FF8000000000000, 0xFFF8000000000001, 0x7FF0000000000001, 0x7FF4000000000000, 0x0000000000000001, 0x800FFFFFFFFFFFFF,
            0x0010000000000000, 0x7FEFFFFFFFFFFFFF, 0x41E0000000000000, 0xC1E0000000000000, 0x43E0000000000000, 0xC3E0000000000000,
            0x3FE0000000000000, 0x47EFFFFFE0000000, 0x3810000000000000, 0x400921FB54442D18 };
        for (int k = 0; k < data.Length; k += 8)
        {
            Span<byte> slot = data.Slice(k, 8);
            switch (rnd.Next(6))
            {
                case 0:
                    BitConverter.TryWriteBytes(slot, singles[rnd.Next(singles.Length)]);
                    BitConverter.TryWriteBytes(slot[4..], singles[rnd.Next(singles.Length)]);
                    break;
                case 1: BitConverter.TryWriteBytes(slot, doubles[rnd.Next(doubles.Length)]); break;
                case 2:
                    BitConverter.TryWriteBytes(slot, (float)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-140, 140))));
                    BitConverter.TryWriteBytes(slot[4..], (float)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-40, 40))));
                    break;
                case 3: BitConverter.TryWriteBytes(slot, (rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-1074, 1024))); break;
                case 4: BitConverter.TryWriteBytes(slot, (rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-70, 70))); break;
                default: rnd.NextBytes(slot); break;
            }
        }
    }

    public static IEnumerable<object[]> Seeds() => OracleRuns.Seeds(7000);

    [SkippableTheory]
    [MemberData(nameof(Seeds))]
    public void EmulatorMatchesTheHostCpuOnSse(int seed, int sequences)
    {
        Skip.IfNot(OracleRuns.HostCanRun);
        var rnd = new Random(seed);
        var failures = new StringBuilder();
        for (int n = 0; n < sequences; n++)
        {
            var gen = new Generator(rnd);
            int length = rnd.Next(1, 10);
            for (int k = 0; k < length; k++)
            {
                gen.Next();
            }
            string problem = RunBoth(gen.Text.ToString(), rnd, seed, n);
            if (problem.Length > 0)
            {
                failures.AppendLine(problem);
            }
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    /// <summary>The sequence between loads of MXCSR and the XMM registers and stores of both (64-bit: 16 registers off R15; 32-bit: 8 off EBP).</summary>
    private static string Wrap(string body, int bits = 64)
    {
        string b = bits == 64 ? "r15" : "ebp";
        int count = bits == 64 ? 16 : 8;
        var sb = new StringBuilder(bits == 64 ? "bits 64\n" : "");
        sb.AppendLine($"stmxcsr [{b} + {MxcsrHost}]\nldmxcsr [{b} + {MxcsrIn}]");
        for (int k = 0; k < count; k++) { sb.AppendLine($"movdqu xmm{k}, [{b} + {XmmIn + 16 * k}]"); }
        sb.Append(body);
        for (int k = 0; k < count; k++) { sb.AppendLine($"movdqu [{b} + {XmmOut + 16 * k}], xmm{k}"); }
        sb.AppendLine($"stmxcsr [{b} + {MxcsrOut}]\nldmxcsr [{b} + {MxcsrHost}]");
        return sb.ToString();
    }

    [SkippableTheory]
    [MemberData(nameof(Seeds))]
    public void EmulatorMatchesTheHostCpuOnSseInCompatibilityMode(int seed, int sequences)
    {
        Skip.IfNot(OracleRuns.HostCanRun);
        var rnd = new Random(seed + 50000);
        var failures = new StringBuilder();
        for (int n = 0; n < sequences; n++)
        {
            var gen = new Generator(rnd, 32);
            int length = rnd.Next(1, 10);
            for (int k = 0; k < length; k++)
            {
                gen.Next();
            }
            string problem = RunBoth32(gen.Text.ToString(), rnd, seed, n);
            if (problem.Length > 0)
            {
                failures.AppendLine(problem);
            }
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    private static readonly string[] E32 = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

    private static (byte[] Data, uint Mxcsr) InitialData(Random rnd)
    {
        byte[] data = new byte[DataSize];
        FillOperands(rnd, data.AsSpan(0, XmmOut));
        // Every exception masked (an unmasked one would be SIGFPE here); random RC, DAZ, FTZ and sticky flags.
        uint mxcsr = 0x1F80 | ((uint)rnd.Next(4) << 13) | (rnd.Next(3) == 0 ? 0x40u : 0) | (rnd.Next(3) == 0 ? 0x8000u : 0) | (rnd.Next(4) == 0 ? (uint)rnd.Next(64) : 0);
        BitConverter.TryWriteBytes(data.AsSpan(MxcsrIn), mxcsr);
        return (data, mxcsr);
    }

    private static string RunBoth32(string body, Random rnd, int seed, int index)
    {
        var state = new uint[9];
        for (int r = 0; r < 8; r++)
        {
            state[r] = rnd.Next(3) switch
            {
                0 => (uint)rnd.Next(256),
                1 => (uint)rnd.Next() ^ ((uint)rnd.Next(2) << 31),
                _ => (uint)(int)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(0, 33))),
            };
        }
        state[8] = 2 | ((uint)rnd.Next() & All);
        (byte[] data, uint mxcsr) = InitialData(rnd);
        var initialData = (byte[])data.Clone();
        string wrapped = Wrap(body, 32);

        var native = (uint[])state.Clone();
        HostOracle.Run32(wrapped, native, data);

        using var h = new CpuHarness("protected");
        h.Cpu.SetControlRegisters(h.Cpu.Cr0, h.Cpu.Cr3, h.Cpu.Cr4 | 0x200, h.Cpu.Efer); // CR4.OSFXSR
        byte[] code = Nasm.Assemble("bits 32\n" + wrapped);
        var sb = new StringBuilder(h.RunOracleSequence(code, GuestData, initialData, Array.ConvertAll(state[..8], r => (ulong)r), X86Cpu.RBP, state[8]));
        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.RSP && r != X86Cpu.RBP && native[r] != (uint)h.Cpu[r])
            {
                sb.Append($" {E32[r]}={(uint)h.Cpu[r]:x} host {native[r]:x};");
            }
        }
        uint ef = h.Cpu.GetFlags() & All, nf = native[8] & All;
        if (ef != nf)
        {
            sb.Append($" flags={ef:x} host {nf:x};");
        }
        CompareData(h.Ram.Span.Slice((int)GuestData, DataSize).ToArray(), data, sb);
        if (sb.Length == 0)
        {
            return "";
        }
        var repro = new StringBuilder($"MISMATCH (compatibility mode, seed {seed}, sequence {index}, mxcsr in {mxcsr:x}):" + sb + "\n  code:\n");
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            repro.AppendLine("    " + line);
        }
        repro.Append("  initial:");
        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.RSP && r != X86Cpu.RBP) { repro.Append($" {E32[r]}={state[r]:x}"); }
        }
        repro.AppendLine($" eflags={state[8]:x} (ebp = data base)");
        repro.Append("  operands: ").Append(DescribeOperands(body, initialData)).Append("\n  xmm in:");
        for (int k = 0; k < 8; k++)
        {
            repro.Append($" xmm{k}={Hex(initialData, XmmIn + 16 * k, 16)}");
        }
        return repro.ToString();
    }

    /// <summary>Compares the data buffers (without the saved host MXCSR) and names the first difference.</summary>
    private static void CompareData(byte[] emuData, byte[] nativeData, StringBuilder sb)
    {
        // The host's own MXCSR, saved and restored around the sequence, is not part of the result.
        emuData.AsSpan(MxcsrHost, 4).Clear();
        nativeData.AsSpan(MxcsrHost, 4).Clear();
        for (int k = 0; k < DataSize; k++)
        {
            if (emuData[k] != nativeData[k])
            {
                string where = k >= XmmOut && k < XmmOut + 256 ? $"xmm{(k - XmmOut) / 16}" : k == MxcsrOut || k == MxcsrOut + 1 ? "mxcsr" : $"data[{k}]";
                int at = k >= XmmOut && k < XmmOut + 256 ? XmmOut + (k - XmmOut) / 16 * 16 : k & ~7;
                int len = k >= XmmOut && k < XmmOut + 256 ? 16 : k >= MxcsrIn && k < MxcsrIn + 16 ? 4 : 8;
                if (len == 4) { at = k & ~3; }
                sb.Append($" {where}={Hex(emuData, at, len)} host {Hex(nativeData, at, len)};");
                return;
            }
        }
    }

    private static string RunBoth(string body, Random rnd, int seed, int index)
    {
        byte[] code = Nasm.Assemble(Wrap(body));
        var state = new ulong[17];
        for (int r = 0; r < 16; r++)
        {
            state[r] = rnd.Next(4) switch
            {
                0 => (ulong)rnd.Next(256),
                1 => (ulong)rnd.NextInt64(),
                2 => BitConverter.DoubleToUInt64Bits((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-10, 70))),
                _ => (ulong)(long)(int)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(0, 33))),
            };
        }
        state[16] = 2 | ((uint)rnd.Next() & All);
        (byte[] data, uint mxcsr) = InitialData(rnd);

        var native = (ulong[])state.Clone();
        byte[] nativeData = HostOracle.RunWithData(code, native, data);

        using var h = new CpuHarness("long");
        h.Cpu.SetControlRegisters(h.Cpu.Cr0, h.Cpu.Cr3, h.Cpu.Cr4 | 0x200, h.Cpu.Efer); // CR4.OSFXSR
        var sb = new StringBuilder(h.RunOracleSequence(code, GuestData, data, state[..16], 15, (uint)state[16]));
        for (int r = 0; r < 15; r++)
        {
            if (r != X86Cpu.RSP && native[r] != h.Cpu[r])
            {
                sb.Append($" {R64[r]}={h.Cpu[r]:x} host {native[r]:x};");
            }
        }
        uint ef = h.Cpu.GetFlags() & All, nf = (uint)native[16] & All;
        if (ef != nf)
        {
            sb.Append($" flags={ef:x} host {nf:x};");
        }
        CompareData(h.Ram.Span.Slice((int)GuestData, DataSize).ToArray(), nativeData, sb);
        if (sb.Length == 0)
        {
            return "";
        }
        var repro = new StringBuilder($"MISMATCH (seed {seed}, sequence {index}, mxcsr in {mxcsr:x}):" + sb + "\n  code:\n");
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            repro.AppendLine("    " + line);
        }
        repro.Append("  initial:");
        for (int r = 0; r < 15; r++)
        {
            if (r != X86Cpu.RSP) { repro.Append($" {R64[r]}={state[r]:x}"); }
        }
        repro.AppendLine($" rflags={state[16]:x}");
        repro.Append("  operands: ").Append(DescribeOperands(body, data)).Append("\n  xmm in:");
        for (int k = 0; k < 16; k++)
        {
            repro.Append($" xmm{k}={Hex(data, XmmIn + 16 * k, 16)}");
        }
        return repro.ToString();
    }

    /// <summary>The memory operands of the sequence with their initial bytes (r15 = data base).</summary>
    private static string DescribeOperands(string body, byte[] data)
    {
        var sb = new StringBuilder();
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(body, @"\[(?:r15|ebp) \+ (\d+)\]"))
        {
            int at = int.Parse(m.Groups[1].Value);
            sb.Append($"[{at}]={Hex(data, at, 16)} ");
        }
        return sb.ToString();
    }

    /// <summary>Little-endian bytes as one hex number, most significant first.</summary>
    private static string Hex(byte[] bytes, int at, int length)
    {
        var sb = new StringBuilder();
        for (int k = at + length - 1; k >= at; k--) { sb.Append(bytes[k].ToString("x2")); }
        return sb.ToString();
    }
}
