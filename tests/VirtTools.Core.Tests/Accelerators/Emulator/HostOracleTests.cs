using System.Text;
using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// The host CPU as the oracle: random sequences of unprivileged integer instructions from
/// <see cref="OracleGenerator"/> (random operands, sizes, immediates, initial flags, register and
/// memory forms) run natively and on the emulator from the same state, in 64-bit code, in 32-bit
/// code (compatibility mode) and in 16-bit code (an LDT code segment); registers, the flags the
/// manuals define after the sequence, and the data buffer must match. A mismatch prints the
/// sequence and initial state as a reproducer. The seeds are fixed; VIRTTOOLS_ORACLE_RUNS raises
/// the count (the benchmark task does).
/// </summary>
public sealed unsafe class HostOracleTests
{
    private const uint All = OracleGenerator.All;
    private const ulong GuestData = 0x200000;
    private const int DataSize = OracleGenerator.DataSize;

    private static readonly string[] R64 = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

    public static IEnumerable<object[]> Seeds() => OracleRuns.Seeds(1000);

    [SkippableTheory]
    [MemberData(nameof(Seeds))]
    public void EmulatorMatchesTheHostCpu(int seed, int sequences)
    {
        Skip.IfNot(OracleRuns.HostCanRun);
        var rnd = new Random(seed);
        var failures = new StringBuilder();
        for (int n = 0; n < sequences; n++)
        {
            var gen = new OracleGenerator(rnd);
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
        Skip.IfNot(OracleRuns.HostCanRun);
        var rnd = new Random(seed + 50000);
        var failures = new StringBuilder();
        for (int n = 0; n < sequences; n++)
        {
            var gen = new OracleGenerator(rnd, 32);
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

    [SkippableTheory]
    [MemberData(nameof(Seeds))]
    public void EmulatorMatchesTheHostCpuIn16BitCode(int seed, int sequences)
    {
        Skip.IfNot(OracleRuns.HostCanRun);
        var rnd = new Random(seed + 90000);
        var failures = new StringBuilder();
        for (int n = 0; n < sequences; n++)
        {
            var gen = new OracleGenerator(rnd, 16);
            int length = rnd.Next(1, 12);
            for (int k = 0; k < length; k++)
            {
                gen.Next();
            }
            string problem = RunBoth16(gen.Text.ToString(), gen.Undefined, rnd);
            if (problem.Length > 0)
            {
                failures.AppendLine(problem);
            }
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    /// <summary>The native 16-bit runner itself: DS- and SS-relative 16-bit addresses, an address that wraps at 64 KiB, a 67h address past it, 32-bit operands and FLAGS.</summary>
    [SkippableFact]
    public void HostRunsSixteenBitCodeOnItsDataSegment()
    {
        Skip.IfNot(OracleRuns.HostCanRun);
        var data = new byte[OracleGenerator.DataSize16];
        BitConverter.TryWriteBytes(data.AsSpan(0x1234 + 0x10), (ushort)0xBEEF);
        BitConverter.TryWriteBytes(data.AsSpan(0x0FFE), 0x11223344u);
        // EAX ECX EDX EBX ESP EBP ESI EDI EFLAGS; the upper halves of EBX and EBP must not matter to 16-bit addresses.
        uint[] state = { 0, 0, 0, 0xDEAD1234, 0, 0xCAFEF000, 0x10, 0, 0x2 | OracleGenerator.CF };
        HostOracle.Run16("""
            mov ax, [bx + si]
            mov [bp + 0x1000 + 8], ax
            mov edx, [bp + 0x1ffe]
            movzx ebp, bp
            mov dword [ebp + ebp + 0x20], 0x55667788
            adc ax, 1
            """, state, data);
        Assert.Equal(0xBEF1u, state[0] & 0xFFFF); // 0xBEEF + 1 + CF
        Assert.Equal(0u, state[8] & OracleGenerator.CF);
        Assert.Equal(0xBEEF, BitConverter.ToUInt16(data, 0x0008));
        Assert.Equal(0x11223344u, state[2]);
        Assert.Equal(0x55667788u, BitConverter.ToUInt32(data, 0x1E020));
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, long a, long b, long c);

    /// <summary>
    /// Signals that reach the thread while it runs 16-bit code (the kernel builds a 64-bit frame at
    /// RSP and returns through espfix to the 16-bit SS) leave the code, its registers and the .NET
    /// runtime undisturbed. SIGCHLD has a handler here (System.Native's, installed with Process).
    /// </summary>
    [SkippableFact]
    public void HostSixteenBitCodeSurvivesSignals()
    {
        Skip.IfNot(OracleRuns.HostCanRun);
        const long SysGettid = 186, SysTgkill = 234, SigChld = 17;
        Nasm.Assemble("nop"); // System.Native's SIGCHLD handler is in place once a process has run
        long tid = syscall(SysGettid, 0, 0, 0);
        int sent = 0;
        bool done = false;
        var signaller = new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                if (syscall(SysTgkill, Environment.ProcessId, tid, SigChld) == 0) { sent++; }
                Thread.Sleep(1);
            }
        });
        var data = new byte[OracleGenerator.DataSize16];
        uint[] state = { 0, 0, 0x12345678, 0, 0, 0, 0, 0, 0x2 };
        var started = System.Diagnostics.Stopwatch.StartNew();
        signaller.Start();
        try
        {
            HostOracle.Run16("""
                mov ecx, 0x20000000
                spin: dec ecx
                jnz spin
                mov [0x10], edx
                """, state, data);
        }
        finally
        {
            Volatile.Write(ref done, true);
            signaller.Join();
        }
        Assert.True(sent >= 5, $"only {sent} signals were sent during {started.ElapsedMilliseconds} ms of 16-bit code");
        Assert.Equal(0u, state[1]);
        Assert.Equal(0x12345678u, state[2]);
        Assert.Equal(0x12345678u, BitConverter.ToUInt32(data, 0x10));
        Assert.Equal(OracleGenerator.ZF, state[8] & OracleGenerator.ZF);
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
        var sb = new StringBuilder(h.RunOracleSequence(code, GuestData, initialData, Array.ConvertAll(state[..8], r => (ulong)r), X86Cpu.RBP, state[8]));
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

    /// <summary>
    /// The same sequence in 16-bit code natively (<see cref="HostOracle.Run16"/>) and on the emulator
    /// in 16-bit protected mode: code segment based at the code, DS and SS both on a data segment
    /// as long as the native one, so every address means the same byte on both sides.
    /// </summary>
    private static string RunBoth16(string body, uint undefined, Random rnd)
    {
        const int size = OracleGenerator.DataSize16;
        var state = new uint[9];
        for (int r = 0; r < 8; r++)
        {
            state[r] = rnd.Next(3) switch { 0 => (uint)rnd.Next(256), 1 => (uint)rnd.Next() ^ ((uint)rnd.Next(2) << 31), _ => uint.MaxValue - (uint)rnd.Next(4) };
        }
        state[8] = 2 | ((uint)rnd.Next() & All);
        byte[] data = new byte[size];
        rnd.NextBytes(data);
        var initial = (uint[])state.Clone();
        var initialData = (byte[])data.Clone();

        var native = (uint[])state.Clone();
        HostOracle.Run16(body, native, data);

        using var h = new CpuHarness("protected");
        byte[] code = Nasm.Assemble("bits 16\n" + body);
        h.Ram.Write(CpuHarness.Code, code);
        h.Ram.Pointer[CpuHarness.Code + (ulong)code.Length] = 0xF4;
        h.Ram.Write(GuestData, initialData);
        // As natively: a 16-bit code segment, and a data segment with D/B = 1 (see HostOracle.Code16.cs).
        var dataSegment = Segment.FromDescriptor(0x10, Descriptor(GuestData, size - 1, 0x93, 0x4));
        h.Cpu.SetSegment(X86Decoder.CS, Segment.FromDescriptor(0x48, Descriptor(CpuHarness.Code, 0xFFFF, 0x9B, 0)));
        h.Cpu.SetSegment(X86Decoder.DS, dataSegment);
        h.Cpu.SetSegment(X86Decoder.SS, dataSegment);
        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.RSP) { h.Cpu[r] = state[r]; }
        }
        h.Cpu.SetFlags(state[8]);
        h.Cpu.Rip = 0;
        var exit = h.Cpu.Run(10_000);
        var sb = new StringBuilder();
        if (exit != CpuExit.Halted || h.Cpu.Rip != (ulong)code.Length + 1)
        {
            sb.Append($" emulator stopped ({exit}) at {h.Cpu.Rip:x} after exception {h.Cpu.LastException};");
        }
        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.RSP && native[r] != (uint)h.Cpu[r])
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
        var emuData = h.Ram.Span.Slice((int)GuestData, size);
        int first = emuData.CommonPrefixLength(data);
        if (first < size)
        {
            sb.Append($" data[{first:x}]={emuData[first]:x2} host {data[first]:x2};");
        }
        if (sb.Length == 0)
        {
            return "";
        }
        var repro = new StringBuilder("MISMATCH (16-bit code):" + sb + "\n  code:\n");
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            repro.AppendLine("    " + line);
        }
        repro.Append("  initial:");
        for (int r = 0; r < 8; r++)
        {
            if (r != X86Cpu.RSP) { repro.Append($" {E32[r]}={initial[r]:x}"); }
        }
        repro.Append($" eflags={initial[8]:x} (DS = SS = a {size:x}-byte data segment)");
        return repro.ToString();
    }

    /// <summary>A byte-granular segment descriptor with access byte <paramref name="access"/> and flags nibble <paramref name="flags"/> (G, D/B, L, AVL).</summary>
    private static ulong Descriptor(ulong segmentBase, int limit, byte access, byte flags) =>
        ((ulong)limit & 0xFFFF) | ((segmentBase & 0xFFFFFF) << 16) | ((ulong)access << 40)
        | (((ulong)limit >> 16 & 0xF) << 48) | ((ulong)flags << 52) | ((segmentBase >> 24 & 0xFF) << 56);

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
        byte[] nativeData = HostOracle.RunWithData(code, native, data);

        // Emulated run: same code at 0x100000 followed by HLT, same data at GuestData.
        using var h = new CpuHarness("long");
        var sb = new StringBuilder(h.RunOracleSequence(code, GuestData, data, state[..16], 15, (uint)state[16]));
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
