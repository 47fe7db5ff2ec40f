using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// DR0-DR3 breakpoints armed the way a guest kernel arms them (MOV to DRn, then DR7), caught by a
/// #DB handler in the guest that counts, copies DR6 and the return address, sets RF, clears TF
/// and returns: instruction breakpoints fault
/// before the instruction and need RF to resume, data breakpoints trap after it.
/// </summary>
public sealed class DebugRegisterTests
{
    private const ulong Data = 0x200000, Hits = 0x201000, LastDr6 = 0x201008, LastReturn = 0x201010;

    /// <summary>Routes #DB to the handler at label 'handler' and runs the body in 32-bit protected mode.</summary>
    private static CpuHarness Run(string body)
    {
        var h = new CpuHarness("protected");
        string source = $"""
            {body}
            handler:
            inc dword [0x{Hits:x}]
            mov eax, dr6
            mov [0x{LastDr6:x}], eax
            mov eax, [esp]
            mov [0x{LastReturn:x}], eax
            or dword [esp + 8], 0x10000 ; RF: resume past an instruction breakpoint
            and dword [esp + 8], ~0x100 ; TF off: one step is enough
            iretd
            """;
        byte[] withLabel = Nasm.Assemble($"bits 32\norg 0x{CpuHarness.Code:x}\n{source}\nlabel_at: dq handler\n");
        ulong handler = BitConverter.ToUInt64(withLabel, withLabel.Length - 8);
        h.Write64(CpuHarness.Idt + 8 * (ulong)Vectors.DB, (handler & 0xFFFF) | (0x08UL << 16) | (0x8EUL << 40) | ((handler >> 16) << 48));
        h.Load(source);
        Assert.Equal(CpuExit.Halted, h.Run());
        return h;
    }

    private static ulong Label(string body, string label)
    {
        byte[] code = Nasm.Assemble($"bits 32\norg 0x{CpuHarness.Code:x}\n{body}\nhandler:\nlabel_at: dq {label}\n");
        return BitConverter.ToUInt64(code, code.Length - 8);
    }

    [Fact]
    public void InstructionBreakpointFaultsBeforeTheInstructionOnEachArrival()
    {
        // DR0 on 'f', DR7 = L0 with R/W 00 (execute) and LEN 00; the loop reaches 'f' three times.
        string body = """
            mov eax, f
            mov dr0, eax
            mov eax, 1
            mov dr7, eax
            mov ecx, 3
            xor edx, edx
            f: inc edx
            dec ecx
            jnz f
            hlt
            """;
        using var h = Run(body);
        Assert.Equal(3U, h.Read32(Hits));
        Assert.Equal(3UL, h.Cpu[X86Cpu.RDX]); // RF let every faulting INC run once the handler returned
        Assert.Equal(Label(body, "f"), h.Read32(LastReturn));
        Assert.Equal(1U, h.Read32(LastDr6) & 0xF);
    }

    [Fact]
    public void DataWriteBreakpointTrapsAfterTheWriteAndIgnoresReads()
    {
        // DR1 watches 4 bytes at Data + 0x10 for writes (R/W1 01, LEN1 11); the page is in the TLB before it is armed.
        string body = $"""
            mov dword [0x{Data + 0x10:x}], 0
            mov eax, 0x{Data + 0x10:x}
            mov dr1, eax
            mov eax, (1 << 2) | (01b << 20) | (11b << 22)
            mov dr7, eax
            mov eax, [0x{Data + 0x10:x}]
            mov dword [0x{Data + 0x14:x}], 9
            mov byte [0x{Data + 0x12:x}], 5
            n: hlt
            """;
        using var h = Run(body);
        Assert.Equal(1U, h.Read32(Hits));
        Assert.Equal(Label(body, "n"), h.Read32(LastReturn));
        Assert.Equal(2U, h.Read32(LastDr6) & 0xF);
        Assert.Equal(5U, h.Read32(Data + 0x10) >> 16 & 0xFF); // a trap: the write happened
    }

    [Fact]
    public void DataReadWriteBreakpointTrapsOnAReadAndSingleStepSetsBs()
    {
        // DR3 watches 2 bytes at Data + 0x20 for reads or writes (R/W3 11, LEN3 01), then TF steps one more instruction.
        string body = $"""
            mov eax, 0x{Data + 0x21:x}
            mov dr3, eax
            mov eax, (1 << 6) | (11b << 28) | (01b << 30)
            mov dr7, eax
            r: movzx eax, byte [0x{Data + 0x21:x}]
            xor eax, eax
            mov dr7, eax
            mov dr6, eax
            pushfd
            or dword [esp], 0x100
            popfd
            s: nop
            t: hlt
            """;
        using var h = Run(body);
        Assert.Equal(2U, h.Read32(Hits));
        Assert.Equal(Label(body, "t"), h.Read32(LastReturn));
        Assert.Equal(X86Cpu.Dr6SingleStep, h.Read32(LastDr6) & 0x400F);
    }
}
