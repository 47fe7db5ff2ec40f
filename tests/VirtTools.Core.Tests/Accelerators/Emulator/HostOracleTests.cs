using System.Text;
using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// The host CPU as the oracle: random sequences of unprivileged 64-bit integer instructions
/// (random operands, sizes, immediates, initial flags, register and memory forms) run natively
/// and on the emulator from the same state; registers, the flags the manuals define after the
/// sequence, and the data buffer must match. A mismatch prints the sequence and initial state as
/// a reproducer. The seed is fixed; VIRTTOOLS_ORACLE_RUNS raises the count (the benchmark task does).
/// </summary>
public sealed unsafe class HostOracleTests
{
    private const uint CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
    private const uint All = CF | PF | AF | ZF | SF | OF;
    private const ulong GuestData = 0x200000;
    private const int DataSize = 4096;

    private static readonly int[] Pool = { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
    private static readonly string[] R64 = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    private static readonly string[] R32 = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
    private static readonly string[] R16 = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
    private static readonly string[] R8 = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };

    private static readonly string[] R8Legacy = { "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh" };

    /// <summary>Random instructions; <paramref name="bits"/> 32 means compatibility mode (no REX registers, EBP as the data base).</summary>
    private sealed class Generator(Random rnd, int bits = 64)
    {
        /// <summary>Flags whose value is undefined after the instructions so far.</summary>
        public uint Undefined;
        public readonly StringBuilder Text = new();

        private int Size() => bits == 32 ? new[] { 1, 2, 4 }[rnd.Next(3)] : new[] { 1, 2, 4, 8 }[rnd.Next(4)];
        /// <summary>The widest operand in this mode stands in for a 64-bit request in 32-bit code.</summary>
        private int W(int size) => bits == 32 && size == 8 ? 4 : size;
        private static string Reg(int r, int size) => size switch { 1 => R8[r], 2 => R16[r], 4 => R32[r], _ => R64[r] };
        private static readonly int[] Pool32 = { 0, 1, 2, 3, 6, 7 };
        private string AnyReg(int size)
        {
            size = W(size);
            if (bits == 32)
            {
                return size == 1 ? R8Legacy[rnd.Next(8)] : Reg(Pool32[rnd.Next(Pool32.Length)], size);
            }
            return Reg(Pool[rnd.Next(Pool.Length)], size);
        }
        private string Ptr(int size) => W(size) switch { 1 => "byte", 2 => "word", 4 => "dword", _ => "qword" };
        private string Mem(int size) => $"{Ptr(size)} [{(bits == 32 ? "ebp" : "r15")} + {rnd.Next(DataSize - 8)}]";
        private string Rm(int size) => rnd.Next(3) == 0 ? Mem(size) : AnyReg(size);
        private long Imm(int size) => size switch { 1 => rnd.Next(-128, 128), 2 => rnd.Next(-32768, 32768), _ => rnd.Next(int.MinValue, int.MaxValue) };
        private static uint CcReads(int cc) => (cc >> 1) switch { 0 => OF, 1 => CF, 2 => ZF, 3 => CF | ZF, 4 => SF, 5 => PF, 6 => SF | OF, _ => ZF | SF | OF };
        private static readonly string[] Cc = { "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g" };

        /// <summary>Adds one instruction whose flag inputs are all defined.</summary>
        public void Next()
        {
            while (true)
            {
                var (asm, reads, defined, undefined) = Pick();
                if ((reads & Undefined) != 0)
                {
                    continue;
                }
                Text.AppendLine(asm);
                Undefined = (Undefined & ~defined) | undefined;
                return;
            }
        }

        private (string, uint, uint, uint) Pick()
        {
            int s = Size();
            switch (rnd.Next(22))
            {
                case 0:
                case 1:
                    {
                        string op = new[] { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" }[rnd.Next(8)];
                        bool logic = op is "or" or "and" or "xor";
                        uint reads = op is "adc" or "sbb" ? CF : 0;
                        string form = rnd.Next(3) switch
                        {
                            0 => $"{op} {Rm(s)}, {AnyReg(s)}",
                            1 => $"{op} {AnyReg(s)}, {Rm(s)}",
                            _ => $"{op} {Rm(s)}, {Imm(Math.Min(s, 4))}",
                        };
                        return (form, reads, logic ? All & ~AF : All, logic ? AF : 0);
                    }
                case 2: return ($"test {Rm(s)}, {AnyReg(s)}", 0, All & ~AF, AF);
                case 3: return ($"{(rnd.Next(2) == 0 ? "inc" : "dec")} {Rm(s)}", 0, All & ~CF, 0);
                case 4: return rnd.Next(2) == 0 ? ($"neg {Rm(s)}", 0u, All, 0u) : ($"not {Rm(s)}", 0u, 0u, 0u);
                case 5:
                    {
                        string op = new[] { "rol", "ror", "rcl", "rcr", "shl", "shr", "sar" }[rnd.Next(7)];
                        s = W(s);
                        int count = rnd.Next(2) == 0 ? 1 : rnd.Next(64);
                        int masked = count & (s == 8 ? 63 : 31);
                        bool viaCl = rnd.Next(2) == 0;
                        string target = Rm(s);
                        if (viaCl && (target.Contains("cl") || target.Contains("cx") || target.Contains("ch")))
                        {
                            viaCl = false;
                        }
                        string text = viaCl ? $"mov cl, {count}\n{op} {target}, cl" : $"{op} {target}, {count}";
                        if (masked == 0)
                        {
                            return (text, 0, 0, 0);
                        }
                        bool rotate = op is "rol" or "ror" or "rcl" or "rcr";
                        uint reads = op is "rcl" or "rcr" ? CF : 0;
                        uint undefined = masked == 1 ? 0 : OF;
                        if (!rotate)
                        {
                            undefined |= AF;
                            if (op != "sar" && masked >= s * 8) { undefined |= CF; }
                        }
                        uint defined = (rotate ? CF | OF : All) & ~undefined;
                        return (text, reads, defined, undefined);
                    }
                case 6:
                    {
                        if (s == 1) { s = 4; }
                        return rnd.Next(3) switch
                        {
                            0 => ($"imul {AnyReg(s)}, {Rm(s)}", 0, CF | OF, SF | ZF | AF | PF),
                            1 => ($"imul {AnyReg(s)}, {Rm(s)}, {Imm(Math.Min(s, 4))}", 0, CF | OF, SF | ZF | AF | PF),
                            _ => ($"{(rnd.Next(2) == 0 ? "mul" : "imul")} {Rm(rnd.Next(2) == 0 ? 1 : s)}", 0, CF | OF, SF | ZF | AF | PF),
                        };
                    }
                case 7: return ($"mov {Rm(s)}, {AnyReg(s)}", 0, 0, 0);
                case 8: return ($"mov {AnyReg(s)}, {Rm(s)}", 0, 0, 0);
                case 9:
                    {
                        int src = rnd.Next(2) == 0 ? 1 : 2;
                        int dst = src == 1 ? new[] { 2, 4, 8 }[rnd.Next(3)] : new[] { 4, 8 }[rnd.Next(2)];
                        return ($"mov{(rnd.Next(2) == 0 ? "zx" : "sx")} {AnyReg(dst)}, {Rm(src)}", 0, 0, 0);
                    }
                case 10: return ($"xchg {Rm(s)}, {AnyReg(s)}", 0, 0, 0);
                case 11:
                    {
                        if (s == 1) { s = 8; }
                        string a = AnyReg(8), b = AnyReg(8);
                        if (W(s) == 1) { s = 4; }
                        return ($"lea {AnyReg(s)}, [{a} + {b} * {new[] { 1, 2, 4, 8 }[rnd.Next(4)]} + {rnd.Next(-1000, 1000)}]", 0, 0, 0);
                    }
                case 12:
                    {
                        if (s == 1) { s = 8; }
                        string op = new[] { "bt", "bts", "btr", "btc" }[rnd.Next(4)];
                        string text = rnd.Next(2) == 0 ? $"{op} {AnyReg(s)}, {AnyReg(s)}" : $"{op} {Rm(s)}, {rnd.Next(256)}";
                        return (text, 0, CF, OF | SF | AF | PF);
                    }
                case 13:
                    {
                        // 32-bit BSF/BSR in 64-bit mode may or may not clear the upper half on a zero source.
                        int size = rnd.Next(2) == 0 ? 2 : bits == 32 ? 4 : 8;
                        return ($"{(rnd.Next(2) == 0 ? "bsf" : "bsr")} {AnyReg(size)}, {Rm(size)}", 0, ZF, CF | OF | SF | AF | PF);
                    }
                case 14:
                    {
                        if (s == 1) { s = 4; }
                        int cc = rnd.Next(16);
                        return ($"cmov{Cc[cc]} {AnyReg(s)}, {Rm(s)}", CcReads(cc), 0, 0);
                    }
                case 15:
                    {
                        int cc = rnd.Next(16);
                        return ($"set{Cc[cc]} {Rm(1)}", CcReads(cc), 0, 0);
                    }
                case 16:
                    {
                        if (s == 1) { s = 4; }
                        s = W(s);
                        int count = rnd.Next(s == 2 ? 16 : s * 8);
                        if (count == 0) { count = 1; }
                        string text = $"{(rnd.Next(2) == 0 ? "shld" : "shrd")} {Rm(s)}, {AnyReg(s)}, {count}";
                        return (text, 0, (All & ~AF) & ~(count == 1 ? 0 : OF), AF | (count == 1 ? 0 : OF));
                    }
                case 17:
                    {
                        if (s < 4) { s = 4; }
                        return ($"bswap {AnyReg(W(s))}", 0, 0, 0);
                    }
                case 18: return ($"xadd {Rm(s)}, {AnyReg(s)}", 0, All, 0);
                case 19: return ($"cmpxchg {Rm(s)}, {AnyReg(s)}", 0, All, 0);
                case 20:
                    return rnd.Next(9) switch
                    {
                        0 => ("cbw", 0, 0, 0),
                        1 => ("cwde", 0, 0, 0),
                        2 => (bits == 32 ? "cwde" : "cdqe", 0, 0, 0),
                        3 => (bits == 32 ? "cdq" : "cqo", 0, 0, 0),
                        4 => ("lahf", SF | ZF | AF | PF | CF, 0, 0),
                        5 => ("sahf", 0, SF | ZF | AF | PF | CF, 0),
                        6 => ("cmc", CF, CF, 0),
                        7 => ("stc", 0, CF, 0),
                        _ => ("cdq", 0, 0, 0),
                    };
                default:
                    {
                        if (s == 1) { s = 4; }
                        return rnd.Next(3) switch
                        {
                            0 => ($"popcnt {AnyReg(s)}, {Rm(s)}", 0, All, 0),
                            1 => ($"lzcnt {AnyReg(s)}, {Rm(s)}", 0, CF | ZF, OF | SF | AF | PF),
                            _ => ($"tzcnt {AnyReg(s)}, {Rm(s)}", 0, CF | ZF, OF | SF | AF | PF),
                        };
                    }
            }
        }
    }

    public static IEnumerable<object[]> Seeds()
    {
        int runs = int.TryParse(Environment.GetEnvironmentVariable("VIRTTOOLS_ORACLE_RUNS"), out int n) ? n : 400;
        const int perCase = 50;
        for (int k = 0; k < (runs + perCase - 1) / perCase; k++)
        {
            yield return new object[] { 1000 + k, perCase };
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Seeds))]
    public void EmulatorMatchesTheHostCpu(int seed, int sequences)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64);
        var rnd = new Random(seed);
        var failures = new StringBuilder();
        for (int n = 0; n < sequences; n++)
        {
            var gen = new Generator(rnd);
            int length = rnd.Next(1, 12);
            for (int k = 0; k < length; k++)
            {
                gen.Next();
            }
            string problem = RunBoth(gen.Text.ToString(), gen.Undefined, rnd);
            if (problem.Length > 0)
            {
                failures.AppendLine(problem);
            }
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    [SkippableTheory]
    [MemberData(nameof(Seeds))]
    public void EmulatorMatchesTheHostCpuInCompatibilityMode(int seed, int sequences)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64);
        var rnd = new Random(seed + 50000);
        var failures = new StringBuilder();
        for (int n = 0; n < sequences; n++)
        {
            var gen = new Generator(rnd, 32);
            int length = rnd.Next(1, 12);
            for (int k = 0; k < length; k++)
            {
                gen.Next();
            }
            string problem = RunBoth32(gen.Text.ToString(), gen.Undefined, rnd);
            if (problem.Length > 0)
            {
                failures.AppendLine(problem);
            }
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    private static readonly string[] E32 = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

    private static string RunBoth32(string body, uint undefined, Random rnd)
    {
        var state = new uint[9];
        for (int r = 0; r < 8; r++)
        {
            state[r] = rnd.Next(3) switch { 0 => (uint)rnd.Next(256), 1 => (uint)rnd.Next() ^ ((uint)rnd.Next(2) << 31), _ => uint.MaxValue - (uint)rnd.Next(4) };
        }
        state[8] = 2 | ((uint)rnd.Next() & All);
        byte[] data = new byte[DataSize];
        rnd.NextBytes(data);
        var initial = (uint[])state.Clone();
        var initialData = (byte[])data.Clone();

        var native = (uint[])state.Clone();
        HostOracle.Run32(body, native, data);

        using var h = new CpuHarness("protected");
        byte[] code = Nasm.Assemble("bits 32\n" + body);
        h.Ram.Write(CpuHarness.Code, code);
        h.Ram.Pointer[CpuHarness.Code + (ulong)code.Length] = 0xF4;
        h.Ram.Write(GuestData, initialData);
        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.RSP) { h.Cpu[r] = state[r]; }
        }
        h.Cpu[X86Cpu.RBP] = GuestData;
        h.Cpu.SetFlags(state[8]);
        h.Cpu.Rip = CpuHarness.Code;
        var exit = h.Cpu.Run(10_000);
        var sb = new StringBuilder();
        if (exit != CpuExit.Halted || h.Cpu.Rip != CpuHarness.Code + (ulong)code.Length + 1)
        {
            sb.Append($" emulator stopped ({exit}) at {h.Cpu.Rip:x} after exception {h.Cpu.LastException};");
        }
        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.RSP && r != X86Cpu.RBP && native[r] != (uint)h.Cpu[r])
            {
                sb.Append($" {E32[r]}={(uint)h.Cpu[r]:x} host {native[r]:x};");
            }
        }
        uint mask = All & ~undefined;
        uint ef = h.Cpu.GetFlags() & mask, nf = native[8] & mask;
        if (ef != nf)
        {
            sb.Append($" flags={ef:x} host {nf:x} (compared {mask:x});");
        }
        var emuData = h.Ram.Span.Slice((int)GuestData, DataSize);
        for (int k = 0; k < DataSize; k++)
        {
            if (emuData[k] != data[k])
            {
                sb.Append($" data[{k}]={emuData[k]:x2} host {data[k]:x2};");
                break;
            }
        }
        if (sb.Length == 0)
        {
            return "";
        }
        var repro = new StringBuilder("MISMATCH (compatibility mode):" + sb + "\n  code:\n");
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            repro.AppendLine("    " + line);
        }
        repro.Append("  initial:");
        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.RSP) { repro.Append($" {E32[r]}={initial[r]:x}"); }
        }
        repro.Append($" eflags={initial[8]:x} (ebp = data base)");
        return repro.ToString();
    }

    private static string RunBoth(string body, uint undefined, Random rnd)
    {
        byte[] code = Nasm.Assemble("bits 64\n" + body);
        var state = new ulong[17];
        for (int r = 0; r < 16; r++)
        {
            state[r] = rnd.Next(4) switch { 0 => (ulong)rnd.Next(256), 1 => (ulong)rnd.NextInt64(), 2 => ulong.MaxValue - (ulong)rnd.Next(4), _ => (ulong)(uint)rnd.Next() };
        }
        state[16] = 2 | ((uint)rnd.Next() & All);
        byte[] data = new byte[DataSize];
        rnd.NextBytes(data);
        var initial = (ulong[])state.Clone();

        // Native run.
        var native = (ulong[])state.Clone();
        byte* buffer = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc(DataSize);
        byte[] nativeData;
        try
        {
            data.CopyTo(new Span<byte>(buffer, DataSize));
            native[15] = (ulong)buffer;
            HostOracle.Run(code, native);
            nativeData = new Span<byte>(buffer, DataSize).ToArray();
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(buffer);
        }

        // Emulated run: same code at 0x100000 followed by HLT, same data at GuestData.
        using var h = new CpuHarness("long");
        h.Ram.Write(CpuHarness.Code, code);
        h.Ram.Pointer[CpuHarness.Code + (ulong)code.Length] = 0xF4;
        h.Ram.Write(GuestData, data);
        for (int r = 0; r < 16; r++)
        {
            if (r != X86Cpu.RSP) { h.Cpu[r] = state[r]; }
        }
        h.Cpu[15] = GuestData;
        h.Cpu.SetFlags((uint)state[16]);
        h.Cpu.Rip = CpuHarness.Code;
        var exit = h.Cpu.Run(10_000);
        var sb = new StringBuilder();
        if (exit != CpuExit.Halted || h.Cpu.Rip != CpuHarness.Code + (ulong)code.Length + 1)
        {
            sb.Append($" emulator stopped ({exit}) at {h.Cpu.Rip:x} after exception {h.Cpu.LastException};");
        }
        for (int r = 0; r < 15; r++)
        {
            if (r != X86Cpu.RSP && native[r] != h.Cpu[r])
            {
                sb.Append($" {R64[r]}={h.Cpu[r]:x} host {native[r]:x};");
            }
        }
        uint mask = All & ~undefined;
        uint ef = h.Cpu.GetFlags() & mask, nf = (uint)native[16] & mask;
        if (ef != nf)
        {
            sb.Append($" flags={ef:x} host {nf:x} (compared {mask:x});");
        }
        var emuData = h.Ram.Span.Slice((int)GuestData, DataSize);
        for (int k = 0; k < DataSize; k++)
        {
            if (emuData[k] != nativeData[k])
            {
                sb.Append($" data[{k}]={emuData[k]:x2} host {nativeData[k]:x2};");
                break;
            }
        }
        if (sb.Length == 0)
        {
            return "";
        }
        var repro = new StringBuilder("MISMATCH:" + sb + "\n  code:\n");
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            repro.AppendLine("    " + line);
        }
        repro.Append("  initial:");
        for (int r = 0; r < 16; r++)
        {
            if (r != X86Cpu.RSP) { repro.Append($" {R64[r]}={initial[r]:x}"); }
        }
        repro.Append($" rflags={initial[16]:x} (r15 = data base)");
        return repro.ToString();
    }
}
