using System.Text;
using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// The host CPU as the oracle for x87: each sequence starts with FNINIT and an FLDCW of a random
/// precision and rounding control (exceptions masked), loads operands from the data buffer
/// (binary32/64/80 and integers, weighted toward edge values: zeros, denormals, infinities, NaNs,
/// extreme exponents, significands next to a rounding boundary), runs random x87 instructions,
/// stores results into the buffer, and ends with FNSAVE. The whole buffer, RAX and the
/// arithmetic flags must match byte for byte, except the FNSAVE pointer fields (FIP, FCS, FDP,
/// FDS): code and data sit at different addresses on the host and in the guest, and the
/// host's FCS/FDS are deprecated zeros. A mismatch prints the code with its operands as a
/// reproducer. Seeds are fixed; VIRTTOOLS_ORACLE_RUNS raises the count.
/// </summary>
public sealed unsafe class HostOracleX87Tests
{
    private const uint CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
    private const uint All = CF | PF | AF | ZF | SF | OF;
    private const ulong GuestData = 0x200000;
    private const int DataSize = 4096;
    // Data buffer layout: operand pools, then result slots, the control word and the FNSAVE image.
    private const int M32 = 0, M64 = 256, M80 = 768, Results = 2048, EnvImage = 2944, ControlWord = 3000, Save = 3072, SaveLength = 108;
    private const int Slots = 64;

    private sealed class Generator(Random rnd)
    {
        public readonly StringBuilder Text = new();
        /// <summary>Registers believed to be on the stack; the generator keeps it mostly within 0..8 but allows faults now and then.</summary>
        private int depth;
        private int nextResult = Results;

        private string Slot(int size)
        {
            if (nextResult + size > EnvImage) { nextResult = Results; }
            string s = $"[r15 + {nextResult}]";
            nextResult += size;
            return s;
        }

        private string M(int size) => size switch
        {
            4 => $"dword [r15 + {M32 + 4 * rnd.Next(Slots)}]",
            8 => $"qword [r15 + {M64 + 8 * rnd.Next(Slots)}]",
            _ => $"tword [r15 + {M80 + 10 * rnd.Next(Slots)}]",
        };

        private string IntM(int size) => size switch
        {
            2 => $"word [r15 + {M32 + 4 * rnd.Next(Slots)}]",
            4 => $"dword [r15 + {M32 + 4 * rnd.Next(Slots)}]",
            _ => $"qword [r15 + {M64 + 8 * rnd.Next(Slots)}]",
        };

        private int St() => rnd.Next(Math.Max(1, Math.Min(8, depth + (rnd.Next(10) == 0 ? 1 : 0))));

        public void Emit(string asm, int delta)
        {
            Text.AppendLine(asm);
            depth = Math.Clamp(depth + delta, 0, 8);
        }

        public void Next()
        {
            // Keep the stack from running over or under most of the time.
            if (depth == 0 && rnd.Next(8) != 0) { Load(); return; }
            if (depth >= 7 && rnd.Next(8) != 0) { Store(); return; }
            switch (rnd.Next(10))
            {
                case 0: case 1: Load(); return;
                case 2: case 3: case 4: Arithmetic(); return;
                case 5: Compare(); return;
                case 6: case 7: Unary(); return;
                case 8: Store(); return;
                default: Misc(); return;
            }
        }

        private void Load()
        {
            switch (rnd.Next(7))
            {
                case 0: Emit($"fld {M(4)}", 1); return;
                case 1: Emit($"fld {M(8)}", 1); return;
                case 2: case 3: Emit($"fld {M(10)}", 1); return;
                case 4: Emit($"fild {IntM(new[] { 2, 4, 8 }[rnd.Next(3)])}", 1); return;
                case 5: Emit(new[] { "fld1", "fldz", "fldpi", "fldl2e", "fldl2t", "fldlg2", "fldln2" }[rnd.Next(7)], 1); return;
                default: Emit($"fld st{St()}", 1); return;
            }
        }

        private void Arithmetic()
        {
            string op = new[] { "fadd", "fmul", "fsub", "fsubr", "fdiv", "fdivr" }[rnd.Next(6)];
            switch (rnd.Next(6))
            {
                case 0: Emit($"{op} {M(4)}", 0); return;
                case 1: Emit($"{op} {M(8)}", 0); return;
                case 2: Emit($"fi{op[1..]} {IntM(rnd.Next(2) == 0 ? 2 : 4)}", 0); return;
                case 3: Emit($"{op} st0, st{St()}", 0); return;
                case 4: Emit($"{op} st{St()}, st0", 0); return;
                default: Emit($"{op}p st{Math.Max(1, St())}, st0", -1); return;
            }
        }

        private void Compare()
        {
            switch (rnd.Next(12))
            {
                case 0: Emit($"fcom {M(rnd.Next(2) == 0 ? 4 : 8)}", 0); return;
                case 1: Emit($"fcomp {M(rnd.Next(2) == 0 ? 4 : 8)}", -1); return;
                case 2: Emit($"fcom st{St()}", 0); return;
                case 3: Emit($"fucomp st{St()}", -1); return;
                case 4: Emit(rnd.Next(2) == 0 ? "fcompp" : "fucompp", -2); return;
                case 5: Emit($"fi{(rnd.Next(2) == 0 ? "com" : "comp")} {IntM(rnd.Next(2) == 0 ? 2 : 4)}", 0); return;
                case 6: Emit($"{new[] { "fcomi", "fucomi" }[rnd.Next(2)]} st0, st{St()}", 0); return;
                case 7: Emit($"{new[] { "fcomip", "fucomip" }[rnd.Next(2)]} st0, st{St()}", -1); return;
                case 8: Emit("ftst", 0); return;
                case 9: Emit("fxam", 0); return;
                case 10: Emit($"fucom st{St()}", 0); return;
                default:
                    {
                        string cc = new[] { "b", "e", "be", "u", "nb", "ne", "nbe", "nu" }[rnd.Next(8)];
                        Emit($"fcomi st0, st{St()}\nfcmov{cc} st0, st{St()}", 0);
                        return;
                    }
            }
        }

        private void Unary()
        {
            switch (rnd.Next(11))
            {
                case 0: Emit("fchs", 0); return;
                case 1: Emit("fabs", 0); return;
                case 2: case 3: Emit("fsqrt", 0); return;
                case 4: Emit("frndint", 0); return;
                case 5: Emit("fscale", 0); return;
                case 6: Emit("fxtract", 1); return;
                case 7: Emit("fprem", 0); return;
                case 8: Emit("fprem1", 0); return;
                case 9: Emit($"fxch st{St()}", 0); return;
                default: Emit(rnd.Next(2) == 0 ? "fincstp" : "fdecstp", 0); return;
            }
        }

        private void Store()
        {
            switch (rnd.Next(8))
            {
                case 0: Emit($"fst dword {Slot(4)}", 0); return;
                case 1: Emit($"fstp qword {Slot(8)}", -1); return;
                case 2: Emit($"fstp tword {Slot(10)}", -1); return;
                case 3:
                    {
                        int size = new[] { 2, 4, 8 }[rnd.Next(3)];
                        string ptr = size switch { 2 => "word", 4 => "dword", _ => "qword" };
                        string op = size == 8 ? "fistp" : new[] { "fist", "fistp" }[rnd.Next(2)];
                        Emit($"{op} {ptr} {Slot(size)}", op == "fist" ? 0 : -1);
                        return;
                    }
                case 4: Emit($"fisttp {new[] { "word", "dword", "qword" }[rnd.Next(3)]} {Slot(8)}", -1); return;
                case 5: Emit($"fbstp tword {Slot(10)}", -1); return;
                case 6: Emit($"fstp st{St()}", -1); return;
                default: Emit($"fst qword {Slot(8)}", 0); return;
            }
        }

        private void Misc()
        {
            switch (rnd.Next(6))
            {
                case 0: Emit("fnstsw ax", 0); return;
                case 1: Emit($"fnstsw word {Slot(2)}", 0); return;
                case 2: Emit($"fnstenv [r15 + {EnvImage}]\nfldcw [r15 + {ControlWord}]", 0); return;
                case 3: Emit("fnclex", 0); return;
                case 4: Emit($"ffree st{St()}", 0); return;
                default: Emit("fnop", 0); return;
            }
        }
    }

    public static IEnumerable<object[]> Seeds() => OracleRuns.Seeds(7000);

    [SkippableTheory]
    [MemberData(nameof(Seeds))]
    public void EmulatorX87MatchesTheHostCpu(int seed, int sequences)
    {
        Skip.IfNot(OracleRuns.HostCanRun);
        var rnd = new Random(seed);
        var failures = new StringBuilder();
        int failed = 0;
        for (int n = 0; n < sequences; n++)
        {
            var gen = new Generator(rnd);
            int length = rnd.Next(1, 16);
            for (int k = 0; k < length; k++)
            {
                gen.Next();
            }
            string problem = RunBoth(gen.Text.ToString(), rnd);
            if (problem.Length > 0)
            {
                failed++;
                failures.AppendLine($"seed {seed} sequence {n}: {problem}");
            }
        }
        Assert.True(failed == 0, $"{failed} of {sequences} sequences differ\n{failures}");
    }

    /// <summary>Edge-heavy operand pools: binary32 and binary64 patterns, then 80-bit values.</summary>
    private static byte[] MakeData(Random rnd)
    {
        byte[] data = new byte[DataSize];
        rnd.NextBytes(data);
        for (int k = 0; k < Slots; k++)
        {
            BitConverter.TryWriteBytes(data.AsSpan(M32 + 4 * k), (uint)Binary(rnd, 8, 23));
            BitConverter.TryWriteBytes(data.AsSpan(M64 + 8 * k), Binary(rnd, 11, 52));
            var (se, sig) = Extended(rnd);
            BitConverter.TryWriteBytes(data.AsSpan(M80 + 10 * k), sig);
            BitConverter.TryWriteBytes(data.AsSpan(M80 + 10 * k + 8), se);
        }
        int pc = new[] { 0, 2, 3, 3 }[rnd.Next(4)], rc = rnd.Next(4);
        BitConverter.TryWriteBytes(data.AsSpan(ControlWord), (ushort)(0x7F | (pc << 8) | (rc << 10)));
        return data;
    }

    /// <summary>A significand tail that lands next to a rounding boundary for 24, 53 or 64 bits, or random.</summary>
    private static ulong Tail(Random rnd, ulong sig)
    {
        int cut = new[] { 40, 11, 1, 0 }[rnd.Next(4)];
        if (cut == 0) { return sig; }
        ulong half = 1UL << (cut - 1);
        ulong[] tails = { half, half - 1, half + 1, 0, (half << 1) - 1, 1 };
        ulong mask = (half << 1) - 1;
        return (sig & ~mask) | (tails[rnd.Next(tails.Length)] & mask);
    }

    private static ulong Binary(Random rnd, int expBits, int fracBits)
    {
        ulong sign = (ulong)rnd.Next(2) << (expBits + fracBits);
        ulong maxExp = (1UL << expBits) - 1, bias = maxExp >> 1;
        ulong frac = (ulong)rnd.NextInt64() & ((1UL << fracBits) - 1);
        ulong exp = rnd.Next(10) switch
        {
            0 => 0,                                   // zero or denormal
            1 => maxExp,                              // infinity or NaN
            2 => (ulong)rnd.Next(1, 4),               // tiny normals
            3 => maxExp - (ulong)rnd.Next(1, 4),      // huge normals
            _ => bias + (ulong)rnd.Next(-40, 40),     // ordinary magnitudes that interact
        };
        switch (rnd.Next(8))
        {
            case 0: frac = 0; break;                                   // zeros, infinities, powers of two
            case 1: frac = 1UL << (fracBits - 1); break;               // default QNaN pattern
            case 2: frac = (ulong)rnd.Next(1, 16); break;              // SNaN or near-minimal denormal
        }
        return sign | (exp << fracBits) | frac;
    }

    private static (ushort, ulong) Extended(Random rnd)
    {
        int sign = rnd.Next(2) << 15;
        ulong sig = (ulong)rnd.NextInt64() | (1UL << 63);
        int exp = rnd.Next(12) switch
        {
            0 => 0,
            1 => 0x7FFF,
            2 => rnd.Next(1, 70),
            3 => 0x7FFF - rnd.Next(1, 70),
            4 => 16383 + rnd.Next(60, 80),
            _ => 16383 + rnd.Next(-40, 40),
        };
        switch (rnd.Next(10))
        {
            case 0: sig = 1UL << 63; break;                                 // powers of two, infinity
            case 1: sig = 0; break;                                          // zero (or an unsupported pseudo-zero-exponent form)
            case 2: sig = 0xC000000000000000; break;                         // QNaN pattern
            case 3: sig = (1UL << 63) | (uint)rnd.Next(1, 16); break;       // SNaN pattern
            case 4: sig = Tail(rnd, sig); break;
            case 5: if (exp == 0) { sig &= ~(1UL << 63); } break;            // true denormals
            case 6: sig = Tail(rnd, (ulong)rnd.Next(1, 1 << 20) << 30 | (1UL << 63)); break; // short integers
        }
        if (exp == 0 && rnd.Next(2) == 0) { sig >>= rnd.Next(1, 64); }
        return ((ushort)(sign | exp), sig);
    }

    private static string RunBoth(string ops, Random rnd)
    {
        // FNINIT only tags registers empty and FNSAVE stores them anyway: eight FLDZ give every
        // physical register a known content first, so stale host values do not leak into the image.
        string body = $"fninit\n{string.Concat(Enumerable.Repeat("fldz\n", 8))}fninit\nfldcw [r15 + {ControlWord}]\n{ops}fnsave [r15 + {Save}]\n";
        byte[] code = Nasm.Assemble("bits 64\n" + body);
        var state = new ulong[17];
        for (int r = 0; r < 16; r++)
        {
            state[r] = (ulong)rnd.NextInt64();
        }
        state[16] = 2 | ((uint)rnd.Next() & All);
        byte[] data = MakeData(rnd);

        var native = (ulong[])state.Clone();
        byte[] nativeData = HostOracle.RunWithData(code, native, data);

        using var h = new CpuHarness("long");
        var sb = new StringBuilder(h.RunOracleSequence(code, GuestData, data, state[..16], 15, (uint)state[16]));
        if (native[X86Cpu.RAX] != h.Cpu[X86Cpu.RAX])
        {
            sb.Append($" rax={h.Cpu[X86Cpu.RAX]:x} host {native[X86Cpu.RAX]:x};");
        }
        uint ef = h.Cpu.GetFlags() & All, nf = (uint)native[16] & All;
        if (ef != nf)
        {
            sb.Append($" flags={ef:x} host {nf:x};");
        }
        var emuData = h.Ram.Span.Slice((int)GuestData, DataSize);
        for (int k = 0; k < DataSize; k++)
        {
            // FNSAVE bytes 12..17 and 20..27: FIP, FCS, FDP, FDS (see the class comment); FOP (18..19) is compared.
            if (IsPointerField(k - Save) || IsPointerField(k - EnvImage)) { continue; }
            if (emuData[k] != nativeData[k])
            {
                sb.Append($" data[{Describe(k)}]={emuData[k]:x2} host {nativeData[k]:x2};");
                if (k >= Save && k < Save + SaveLength)
                {
                    sb.Append($"\n  fnsave emulator {Convert.ToHexString(emuData.Slice(Save, SaveLength))}\n  fnsave host     {Convert.ToHexString(nativeData.AsSpan(Save, SaveLength))}");
                }
                break;
            }
        }
        if (sb.Length == 0)
        {
            return "";
        }
        var repro = new StringBuilder("MISMATCH:" + sb + "\n  code:\n");
        foreach (var line in ops.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            repro.AppendLine("    " + line + Operand(line, data));
        }
        repro.Append($"  (after FNINIT, 8 x FLDZ, FNINIT, FLDCW; then FNSAVE)\n  initial: rax={state[0]:x} rflags={state[16]:x} fcw={BitConverter.ToUInt16(data, ControlWord):x4} (r15 = data base)");
        return repro.ToString();
    }

    private static bool IsPointerField(int offset) => offset is >= 12 and < 18 or >= 20 and < 28;

    private static string Describe(int k) => k switch
    {
        >= Save => $"fnsave+{k - Save}",
        >= EnvImage => $"fnstenv+{k - EnvImage}",
        >= Results => $"results+{k - Results}",
        _ => k.ToString(),
    };

    /// <summary>The initial bytes a memory operand refers to, so the mismatch report is a full reproducer.</summary>
    private static string Operand(string line, byte[] data)
    {
        int at = line.IndexOf("[r15 + ", StringComparison.Ordinal);
        if (at < 0) { return ""; }
        int end = line.IndexOf(']', at);
        int offset = int.Parse(line[(at + 7)..end]);
        int size = line.Contains("tword") ? 10 : line.Contains("qword") ? 8 : line.Contains("dword") ? 4 : 2;
        if (offset >= Results) { return ""; }
        var bytes = data.AsSpan(offset, size).ToArray();
        Array.Reverse(bytes);
        return $"    ; = {Convert.ToHexString(bytes)}";
    }
}
