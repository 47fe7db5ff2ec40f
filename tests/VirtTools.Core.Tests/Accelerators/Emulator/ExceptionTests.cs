using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// Each exception vector raised by the instruction that causes it, delivered through the IDT (or
/// IVT) with the right error code, the right return address (the faulting instruction for faults,
/// the next one for traps) and CR2 for page faults; double and triple fault escalation.
/// </summary>
public sealed class ExceptionTests
{
    /// <summary>Runs the snippet; the code label 'f' marks the instruction expected to fault or trap.</summary>
    private static (CpuHarness H, ulong FaultAt, ulong Frame) Raise(string mode, string body, int vector)
    {
        var h = new CpuHarness(mode);
        ulong start = h.Load(body);
        var exit = h.Run();
        Assert.Equal(CpuExit.Halted, exit);
        Assert.True(h.StoppedInHandler(vector), $"expected the #{vector} handler, stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        Assert.Equal(vector, h.Cpu.LastException);
        return (h, start, h.Cpu[X86Cpu.RSP]);
    }

    private static ulong Offset(string body, string mode, string label)
    {
        // The label's address: assemble a copy with 'dd label' appended and read it back.
        var h = new CpuHarness(mode);
        string bits = h.Bits;
        h.Dispose();
        ulong org = mode == "real" ? CpuHarness.RealCode : CpuHarness.Code;
        byte[] withLabel = Nasm.Assemble($"bits {bits}\norg 0x{org:x}\n{body}\nlabel_at: dq {label}\n");
        return BitConverter.ToUInt64(withLabel, withLabel.Length - 8);
    }

    [Theory]
    [InlineData("protected")]
    [InlineData("long")]
    public void DivideErrorIsAFaultAtTheDiv(string mode)
    {
        string body = "xor ecx, ecx\nmov eax, 1\nf: div ecx\nhlt";
        var (h, _, sp) = Raise(mode, body, Vectors.DE);
        using var _h = h;
        int w = mode == "long" ? 8 : 4;
        Assert.Equal(Offset(body, mode, "f"), w == 8 ? h.Read64(sp) : h.Read32(sp));
    }

    [Theory]
    [InlineData("protected", Vectors.BP, "f: int3\nn: hlt")]
    [InlineData("long", Vectors.BP, "f: int3\nn: hlt")]
    [InlineData("protected", Vectors.OF, "mov al, 0x7f\nadd al, 1\nf: into\nn: hlt")]
    [InlineData("protected", Vectors.DB, "f: db 0xf1\nn: hlt")]
    [InlineData("long", 0x80, "f: int 0x80\nn: hlt")]
    public void TrapsReturnToTheNextInstruction(string mode, int vector, string body)
    {
        var (h, _, sp) = Raise(mode, body, vector);
        using var _h = h;
        ulong ret = mode == "long" ? h.Read64(sp) : h.Read32(sp);
        Assert.Equal(Offset(body, mode, "n"), ret);
    }

    [Theory]
    [InlineData("protected", Vectors.UD, "f: ud2")]
    [InlineData("long", Vectors.UD, "f: ud2")]
    [InlineData("long", Vectors.UD, "f: db 0x06")]           // PUSH ES does not exist in 64-bit mode
    [InlineData("protected", Vectors.BR, "mov eax, 5\nf: bound eax, [bounds]\nhlt\nbounds: dd 0, 4")]
    [InlineData("protected", Vectors.NM, "mov eax, cr0\nor eax, 8\nmov cr0, eax\nf: fld1")]
    [InlineData("protected", Vectors.NM, "mov eax, cr0\nor eax, 4\nmov cr0, eax\nf: fld1")]           // CR0.EM: no coprocessor
    [InlineData("protected", Vectors.NM, "mov eax, cr0\nor eax, 0xA\nmov cr0, eax\nf: wait")]         // WAIT: CR0.TS with CR0.MP
    [InlineData("long", Vectors.NM, "mov rax, cr0\nor rax, 8\nmov cr0, rax\nf: fnstsw ax")]          // even a no-wait control instruction
    public void FaultsWithoutErrorCodePointAtTheInstruction(string mode, int vector, string body)
    {
        var (h, _, sp) = Raise(mode, body, vector);
        using var _h = h;
        ulong ret = mode == "long" ? h.Read64(sp) : h.Read32(sp);
        Assert.Equal(Offset(body, mode, "f"), ret);
    }

    [Theory]
    [InlineData("protected", Vectors.GP, 0u, "xor eax, eax\nf: mov ss, ax")]                 // null SS
    [InlineData("protected", Vectors.GP, 0x1F8u, "mov ax, 0x1f8\nf: mov ds, ax")]              // beyond the GDT limit
    [InlineData("protected", Vectors.NP, 0x50u, "mov ax, 0x50\nf: mov ds, ax")]                // not present
    [InlineData("protected", Vectors.SS, 0x50u, "mov ax, 0x50\nf: mov ss, ax")]                // not present, as SS: #SS, not #NP
    [InlineData("protected", Vectors.GP, 0u, "mov eax, 0x80000000\nf: mov cr0, eax")]          // PG without PE
    [InlineData("long", Vectors.GP, 0u, "mov ecx, 0x12345678\nf: rdmsr")]                     // unknown MSR
    [InlineData("long", Vectors.GP, 0x80u * 8 + 2, "mov word [0x1000 + 0x80*16 + 4], 0x6e00\nf: int 0x80")] // gate not present: IDT error code
    public void FaultsPushTheirErrorCode(string mode, int vector, uint error, string body)
    {
        if (body.Contains("0x6e00"))
        {
            // A gate whose present bit is clear raises #NP with the IDT error code (vector*8(16)+2).
            vector = Vectors.NP;
        }
        var (h, _, sp) = Raise(mode, body, vector);
        using var _h = h;
        int w = mode == "long" ? 8 : 4;
        ulong code = w == 8 ? h.Read64(sp) : h.Read32(sp);
        ulong ret = w == 8 ? h.Read64(sp + 8) : h.Read32(sp + 4);
        Assert.Equal(error, (uint)code);
        Assert.Equal(Offset(body, mode, "f"), ret);
        Assert.Equal(error, h.Cpu.LastErrorCode);
    }

    [Fact]
    public void PageFaultSetsCr2AndErrorCode()
    {
        // Map 0x40000000 nowhere (PDPT entry 1 absent) and write to it: #PF, P=0 W=1 U=0.
        string body = "mov rax, 0x40000010\nf: mov dword [rax], 1\nhlt";
        var (h, _, sp) = Raise("long", body, Vectors.PF);
        using var _h = h;
        Assert.Equal(0x40000010UL, h.Cpu.Cr2);
        Assert.Equal(2UL, h.Read64(sp));
        Assert.Equal(Offset(body, "long", "f"), h.Read64(sp + 8));
    }

    [Fact]
    public void PageFaultOnAReadOnlyPageFromUserMode()
    {
        var h = new CpuHarness("long");
        using var _h = h;
        // Page directory entry for 0x200000 (2 MiB): present, user, read-only.
        h.Write64(0x12000 + 8, 0x200000 | 0x85);
        // Enter CPL 3 with IRETQ onto user code at the same address space.
        string body = """
            push 0x33
            push 0x7f000
            pushfq
            push 0x5b
            push user
            iretq
            user:
            mov rax, 0x200100
            mov rbx, [rax]
            f: mov [rax], rbx
            hlt
            """;
        h.Write64(0x12000 + 0, 0x87); // first 2 MiB user-accessible already (0x87)
        h.Load(body);
        var exit = h.Run();
        Assert.Equal(CpuExit.Halted, exit);
        Assert.True(h.StoppedInHandler(Vectors.PF), $"stopped at {h.Cpu.Rip:x}, last exception {h.Cpu.LastException}");
        Assert.Equal(0x200100UL, h.Cpu.Cr2);
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(7UL, h.Read64(sp)); // present, write, user
        Assert.Equal(Offset(body, "long", "f"), h.Read64(sp + 8));
        Assert.Equal(0x5bUL, h.Read64(sp + 16));
        Assert.Equal(0x7f000UL, h.Read64(sp + 32));           // user RSP
        Assert.True(sp < CpuHarness.Ring0Stack && sp > CpuHarness.Ring0Stack - 64, "the handler runs on RSP0 from the TSS");
        Assert.Equal(0, h.Cpu.Cpl);
    }

    [Fact]
    public void GeneralProtectionForPrivilegedInstructionAtCpl3()
    {
        var h = new CpuHarness("protected");
        using var _h = h;
        string body = """
            push 0x33
            push 0x7f000
            pushfd
            push 0x2b
            push user
            iretd
            user:
            f: hlt
            """;
        h.Load(body);
        h.Run();
        Assert.True(h.StoppedInHandler(Vectors.GP), $"stopped at {h.Cpu.Rip:x}, last exception {h.Cpu.LastException}");
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(0u, h.Read32(sp));
        Assert.Equal(Offset(body, "protected", "f"), h.Read32(sp + 4));
        Assert.Equal(0x2bu, h.Read32(sp + 8));
        Assert.Equal(0x7f000u, h.Read32(sp + 16)); // outer ESP, then SS
        Assert.Equal(0x33u, h.Read32(sp + 20));
    }

    [Fact]
    public void FaultWhileDeliveringAFaultIsADoubleFault()
    {
        // #GP's gate is not present: delivering #GP raises #NP (contributory + contributory = #DF).
        var h = new CpuHarness("protected");
        using var _h = h;
        h.Write64(CpuHarness.Idt + 13 * 8, h.Read64(CpuHarness.Idt + 13 * 8) & ~(1UL << 47));
        h.Load("xor eax, eax\nmov ss, ax");
        h.Run();
        Assert.True(h.StoppedInHandler(Vectors.DF), $"stopped at {h.Cpu.Rip:x}, last exception {h.Cpu.LastException}");
        Assert.Equal(0u, h.Read32(h.Cpu[X86Cpu.RSP]));
    }

    [Fact]
    public void TripleFaultShutsTheCpuDown()
    {
        var h = new CpuHarness("long");
        using var _h = h;
        h.Cpu.Idtr = new DescriptorTable { Base = CpuHarness.Idt, Limit = 0 };
        h.Load("ud2");
        Assert.Equal(CpuExit.TripleFault, h.Run());
        Assert.True(h.Cpu.Shutdown);
    }

    [Fact]
    public void RealModeInterruptsGoThroughTheIvt()
    {
        string body = "f: int 0x21\nn: hlt";
        var (h, _, sp) = Raise("real", body, 0x21);
        using var _h = h;
        Assert.Equal((ushort)Offset(body, "real", "n"), h.Read16(sp));
        Assert.Equal(0, h.Read16(sp + 2));
    }

    [Fact]
    public void ExternalInterruptsWaitForIfAndWakeHlt()
    {
        var h = new CpuHarness("protected");
        using var _h = h;
        h.Load("cli\nnop\nnop\nsti\nw: hlt\njmp w");
        h.Bus.PendingVector = 0x30;
        Assert.Equal(CpuExit.Halted, h.Run());
        // Interrupts were held off by CLI; HLT after STI stops, then the pending IRQ wakes it.
        Assert.Null(h.Cpu.LastException is 0x30 ? (int?)0x30 : null);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(0x30), $"stopped at {h.Cpu.Rip:x}");
        Assert.Null(h.Bus.PendingVector);
    }

    /// <summary>
    /// A word at offset FFFFh under 16-bit addressing runs past a 64 KiB segment (#GP), but not past
    /// a longer protected-mode one: the check is against the segment's limit (found by the 16-bit
    /// host-CPU oracle).
    /// </summary>
    [Theory]
    [InlineData(0xFFFF, true)]
    [InlineData(0x1FFFF, false)]
    public void WordAtOffsetFfffFaultsOnlyPastTheSegmentLimit(int limit, bool faults)
    {
        using var h = new CpuHarness("protected");
        const ulong dataBase = 0x200000;
        ulong descriptor = ((ulong)limit & 0xFFFF) | (dataBase << 16) | (0x93UL << 40) | ((ulong)(limit >> 16) << 48);
        h.Cpu.SetSegment(X86Decoder.DS, Segment.FromDescriptor(0x10, descriptor));
        h.Write32(dataBase + 0xFFFF, 0xBEEF);
        h.Load("mov ebx, 0xffff\nmov eax, 0x1234\nf: a16 mov ax, [bx]\nhlt");
        Assert.Equal(CpuExit.Halted, h.Run());
        if (faults)
        {
            Assert.True(h.StoppedInHandler(Vectors.GP));
            Assert.Equal(0x1234UL, h.Cpu[X86Cpu.RAX]);
        }
        else
        {
            Assert.Equal(-1, h.Cpu.LastException);
            Assert.Equal(0xBEEFUL, h.Cpu[X86Cpu.RAX]);
        }
    }

    /// <summary>
    /// TF = 1 before an instruction means a #DB trap after it: POPF that sets TF is not stepped,
    /// the next instruction is (return address past it, DR6.BS set, TF in the pushed EFLAGS).
    /// </summary>
    [Theory]
    [InlineData("real")]
    [InlineData("protected")]
    [InlineData("long")]
    public void SingleStepTrapsAfterTheInstructionFollowingPopf(string mode)
    {
        string body = mode switch
        {
            "real" => "pushf\nmov bp, sp\nor word [bp], 0x100\npopf\nf: mov ax, 7\nn: hlt",
            "protected" => "pushfd\nor dword [esp], 0x100\npopfd\nf: mov eax, 7\nn: hlt",
            _ => "pushfq\nor qword [rsp], 0x100\npopfq\nf: mov eax, 7\nn: hlt",
        };
        var (h, _, sp) = Raise(mode, body, Vectors.DB);
        using var _h = h;
        Assert.Equal(7UL, h.Cpu[X86Cpu.RAX] & 0xFFFF);
        ulong n = Offset(body, mode, "n");
        (ulong ret, ulong flags) = mode switch
        {
            "real" => (h.Read16(sp) + (ulong)h.Read16(sp + 2) * 16, h.Read16(sp + 4)),
            "protected" => (h.Read32(sp), h.Read32(sp + 8)),
            _ => (h.Read64(sp), h.Read64(sp + 16)),
        };
        Assert.Equal(n, ret);
        Assert.NotEqual(0UL, flags & 0x100);
        Assert.NotEqual(0UL, h.Cpu.Dr[6] & X86Cpu.Dr6SingleStep);
        Assert.Equal(0U, h.Cpu.GetFlags() & 0x100); // cleared on entry to the handler
    }

    /// <summary>
    /// A #DB handler that counts and returns: one trap per instruction that began with TF set
    /// (the POPF that clears TF included), none for the POPF that set it, and none after MOV SS,
    /// whose trap is taken after the next instruction instead.
    /// </summary>
    [Theory]
    [InlineData(false, 6)]
    [InlineData(true, 7)]
    public void SingleStepCountsEachSteppedInstructionOnce(bool withMovSs, int traps)
    {
        using var h = new CpuHarness("protected");
        const ulong count = 0x200000;
        string movSs = withMovSs ? "mov bx, ss\nmov ss, bx\n" : "";
        string body = $"""
            pushfd
            or dword [esp], 0x100
            popfd
            mov eax, 1
            add eax, 2
            {movSs}nop
            pushfd
            and dword [esp], ~0x100
            popfd
            nop
            hlt
            handler:
            inc dword [0x{count:x}]
            iretd
            """;
        ulong handler = Offset(body, "protected", "handler");
        h.Write64(CpuHarness.Idt + 8 * (ulong)Vectors.DB, (handler & 0xFFFF) | (0x08UL << 16) | (0x8EUL << 40) | ((handler >> 16) << 48));
        h.Load(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(3UL, h.Cpu[X86Cpu.RAX]);
        Assert.Equal((uint)traps, h.Read32(count));
        Assert.Equal(0U, h.Cpu.GetFlags() & 0x100);
    }
}

/// <summary>System-descriptor loads in long mode.</summary>
public sealed class LongModeSystemTests
{
    [Fact]
    public void LtrInLongModeReadsTheSixteenByteTssDescriptor()
    {
        using var h = new CpuHarness("long");
        // A 64-bit TSS at 0x0000_0001_0000_2000 (base bits 32..63 in the descriptor's upper half).
        h.Write64(CpuHarness.Gdt + 0x38, 0x0000890020000067);
        h.Write64(CpuHarness.Gdt + 0x40, 0x1);
        h.Load("mov ax, 0x38\nltr ax\nhlt");
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(0x1_0000_2000UL, h.Cpu.Tr.Base);
        Assert.Equal(0x38, h.Cpu.Tr.Selector);
        Assert.Equal(0x8BUL, (h.Read64(CpuHarness.Gdt + 0x38) >> 40) & 0xFF); // marked busy
    }
}
