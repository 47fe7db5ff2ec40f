using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// Hardware task switching and call gates in 32-bit protected mode (Intel SDM vol. 3, chapter 7
/// and 5.8), driven by guest code: CALL/JMP far to a TSS or task gate, INT n and exceptions through
/// task gates, IRET with NT back through the link, the faults of SDM table 7-1 with their error
/// codes and return addresses, and calls through call gates at the same and an inner level.
/// </summary>
public sealed class TaskSwitchTests
{
    // The harness's own task: TR = 0x38, a busy 32-bit TSS at 0x2000. These are added to its GDT.
    private const ushort OwnTss = 0x38, Task2 = 0x60, Task2Gate = 0x68, SameLevelGate = 0x70, ShortTss = 0x78, AbsentTss = 0x80,
        HandlerTask = 0x88, UserGate = 0x90, AbsentGate = 0x98, Task16 = 0xA0, Ring1Code = 0xA8, Ring1Data = 0xB0, Ring1Absent = 0xB8;
    private const ulong Tss2 = 0x4000, Tss3 = 0x4100, Tss16At = 0x4200, Task2Stack = 0x70000, HandlerStack = 0x60000;
    private const uint Seed = 0x2000_0000;

    private static ulong Descriptor(ulong at, uint limit, byte access) =>
        (limit & 0xFFFF) | ((at & 0xFFFFFF) << 16) | ((ulong)access << 40) | ((ulong)((limit >> 16) & 0xF) << 48) | ((at >> 24) << 56);

    private static ulong Gate(ushort selector, ulong offset, byte access, int parameters = 0) =>
        (offset & 0xFFFF) | ((ulong)selector << 16) | ((ulong)parameters << 32) | ((ulong)access << 40) | ((offset >> 16) << 48);

    private static ulong Label(string body, string label)
    {
        byte[] withLabel = Nasm.Assemble($"bits 32\norg 0x{CpuHarness.Code:x}\n{body}\nlabel_at: dq {label}\n");
        return BitConverter.ToUInt64(withLabel, withLabel.Length - 8);
    }

    /// <summary>Protected mode with task 2 (entry 'task2', its own stack) and the extra descriptors.</summary>
    private static CpuHarness Tasks(string body, ushort task2Ds = 0x10, ushort task2Ldt = 0)
    {
        var h = new CpuHarness("protected");
        var gdt = new Dictionary<ushort, ulong>
        {
            [Task2] = Descriptor(Tss2, 0x67, 0x89),
            [Task2Gate] = Gate(Task2, 0, 0x85),
            [ShortTss] = Descriptor(Tss2, 0x50, 0x89),
            [AbsentTss] = Descriptor(Tss2, 0x67, 0x09),
            [HandlerTask] = Descriptor(Tss3, 0x67, 0x89),
            [AbsentGate] = Gate(Task2, 0, 0x05),
            [Task16] = Descriptor(Tss16At, 0x2B, 0x81),
            [Ring1Code] = 0x00CFBB000000FFFF,
            [Ring1Data] = 0x00CFB3000000FFFF,
            [Ring1Absent] = 0x00CF33000000FFFF,
        };
        foreach (var (selector, d) in gdt)
        {
            h.Write64(CpuHarness.Gdt + selector, d);
        }
        h.Cpu.Gdtr = new DescriptorTable { Base = CpuHarness.Gdt, Limit = 0xFF };
        if (body.Contains("task2:"))
        {
            WriteTss32(h, Tss2, (uint)Label(body, "task2"), (uint)Task2Stack, task2Ds, task2Ldt);
        }
        if (body.Contains("handler3:"))
        {
            WriteTss32(h, Tss3, (uint)Label(body, "handler3"), (uint)HandlerStack, 0x10, 0);
        }
        h.Load(body);
        return h;
    }

    /// <summary>A 32-bit TSS: general registers Seed + n (ESP as given), flat CS 0x08 and SS 0x10.</summary>
    private static void WriteTss32(CpuHarness h, ulong at, uint eip, uint esp, ushort ds, ushort ldt)
    {
        h.Write32(at + 0x20, eip);
        h.Write32(at + 0x24, 2);
        for (int r = 0; r < 8; r++)
        {
            h.Write32(at + 0x28 + (ulong)r * 4, r == X86Cpu.RSP ? esp : Seed + (uint)r);
        }
        ushort[] selectors = { ds, 0x08, 0x10, ds, 0, 0 };
        for (int s = 0; s < 6; s++)
        {
            h.Write32(at + 0x48 + (ulong)s * 4, selectors[s]);
        }
        h.Write32(at + 0x60, ldt);
    }

    private static int TypeOf(CpuHarness h, ushort selector) => (int)((h.Read64(CpuHarness.Gdt + selector) >> 40) & 0xF);

    /// <summary>Continues after the HLT the test stopped at, to the next one.</summary>
    private static void Resume(CpuHarness h, string where)
    {
        h.Cpu.Halted = false;
        var exit = h.Run();
        Assert.True(exit == CpuExit.Halted, $"{where}: {exit} at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
    }

    private const string Registers = """
        mov eax, 0xA1
        mov ebx, 0xB1
        mov ecx, 0xC1
        mov edx, 0xD1
        mov ebp, 0xE1
        mov esi, 0x51
        mov edi, 0xD7
        """;

    [Theory]
    [InlineData("call 0x60:0")]       // CALL to the TSS descriptor
    [InlineData("call 0x68:0")]       // CALL through a task gate in the GDT
    [InlineData("int 0x40")]          // INT n through a task gate in the IDT
    public void NestedSwitchLinksBackAndIretReturns(string transfer)
    {
        string body = $"""
            {Registers}
            f: {transfer}
            back: mov esi, 0x600d
            hlt
            task2: hlt
            iretd
            after: hlt
            """;
        using var h = Tasks(body);
        h.Write64(CpuHarness.Idt + 0x40 * 8, Gate(Task2, 0, 0x85));
        h.Cpu.WriteDebugRegister(0, 0xFFFF0);              // an execute breakpoint nobody reaches
        h.Cpu.WriteDebugRegister(7, 0x3);                  // L0 (the task's) and G0
        Assert.Equal(CpuExit.Halted, h.Run());

        // In task 2: its registers, TR, the link, NT, both busy, CR0.TS; task 1's state in its TSS.
        Assert.Equal(Label(body, "task2") + 1, h.Cpu.Rip);
        Assert.Equal(Task2, h.Cpu.Tr.Selector);
        Assert.Equal(OwnTss, h.Read16(Tss2));
        Assert.NotEqual(0u, h.Cpu.GetFlags() & X86Cpu.NT);
        Assert.Equal(0xB, TypeOf(h, Task2));
        Assert.Equal(0xB, TypeOf(h, OwnTss));
        Assert.Equal(8UL, h.Cpu.Cr0 & 8);
        Assert.Equal(0x2UL, h.Cpu.Dr[7] & 0xFF);           // L0 cleared by the switch, G0 kept
        Assert.Equal(Seed + X86Cpu.RAX, h.Cpu[X86Cpu.RAX]);
        Assert.Equal(Seed + X86Cpu.RDI, h.Cpu[X86Cpu.RDI]);
        Assert.Equal(Task2Stack, h.Cpu[X86Cpu.RSP]);
        Assert.Equal(Label(body, "back"), h.Read32(CpuHarness.Tss + 0x20));
        Assert.Equal(0u, h.Read32(CpuHarness.Tss + 0x24) & X86Cpu.NT);
        uint[] saved = { 0xA1, 0xC1, 0xD1, 0xB1, (uint)CpuHarness.StackTop, 0xE1, 0x51, 0xD7 };
        for (int r = 0; r < 8; r++)
        {
            Assert.Equal(saved[r], h.Read32(CpuHarness.Tss + 0x28 + (ulong)r * 4));
        }
        Assert.Equal(0x08u, h.Read32(CpuHarness.Tss + 0x4C));
        Assert.Equal(0x10u, h.Read32(CpuHarness.Tss + 0x50));

        // IRETD with NT: back to task 1 after its CALL/INT, task 2 free again and saved after its IRET.
        Resume(h, "after the IRET");
        Assert.Equal(Label(body, "back") + 6, h.Cpu.Rip);
        Assert.Equal(OwnTss, h.Cpu.Tr.Selector);
        Assert.Equal(0x600dUL, h.Cpu[X86Cpu.RSI]);
        Assert.Equal(0xA1UL, h.Cpu[X86Cpu.RAX]);
        Assert.Equal(0xD7UL, h.Cpu[X86Cpu.RDI]);
        Assert.Equal(CpuHarness.StackTop, h.Cpu[X86Cpu.RSP]);
        Assert.Equal(0u, h.Cpu.GetFlags() & X86Cpu.NT);
        Assert.Equal(0x9, TypeOf(h, Task2));
        Assert.Equal(0xB, TypeOf(h, OwnTss));
        Assert.Equal(Label(body, "after"), h.Read32(Tss2 + 0x20));
        Assert.Equal(0u, h.Read32(Tss2 + 0x24) & X86Cpu.NT);
    }

    [Fact]
    public void JumpSwitchFreesTheOldTaskAndLeavesNoLink()
    {
        string body = $"""
            {Registers}
            f: jmp 0x60:0
            back: mov esi, 0x600d
            hlt
            task2: hlt
            jmp 0x38:0
            """;
        using var h = Tasks(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Task2, h.Cpu.Tr.Selector);
        Assert.Equal(0, h.Read16(Tss2));
        Assert.Equal(0u, h.Cpu.GetFlags() & X86Cpu.NT);
        Assert.Equal(0x9, TypeOf(h, OwnTss));
        Assert.Equal(0xB, TypeOf(h, Task2));
        Assert.Equal(Label(body, "back"), h.Read32(CpuHarness.Tss + 0x20));

        // JMP back to the first task (available again): it resumes after its own JMP.
        Resume(h, "after the JMP back");
        Assert.Equal(OwnTss, h.Cpu.Tr.Selector);
        Assert.Equal(Label(body, "back") + 6, h.Cpu.Rip);
        Assert.Equal(0x600dUL, h.Cpu[X86Cpu.RSI]);
        Assert.Equal(0xA1UL, h.Cpu[X86Cpu.RAX]);
        Assert.Equal(0x9, TypeOf(h, Task2));
        Assert.Equal(0xB, TypeOf(h, OwnTss));
    }

    [Fact]
    public void ExceptionThroughATaskGatePushesItsErrorCodeOnTheNewTasksStack()
    {
        string body = """
            mov ax, 0x1f8
            f: mov ds, ax
            hlt
            task2: hlt
            """;
        using var h = Tasks(body);
        h.Write64(CpuHarness.Idt + Vectors.GP * 8, Gate(Task2, 0, 0x85));
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Vectors.GP, h.Cpu.LastException);
        Assert.Equal(Task2, h.Cpu.Tr.Selector);
        Assert.Equal(OwnTss, h.Read16(Tss2));
        Assert.Equal(Task2Stack - 4, h.Cpu[X86Cpu.RSP]);
        Assert.Equal(0x1F8u, h.Read32(Task2Stack - 4));
        Assert.Equal(Label(body, "f"), h.Read32(CpuHarness.Tss + 0x20)); // a fault: the faulting instruction
    }

    /// <summary>Faults found before the switch commits: raised in the old task, which is left as it was.</summary>
    [Theory]
    [InlineData("f: jmp 0x78:0", Vectors.TS, 0x78u)]       // TSS limit below 67h
    [InlineData("f: call 0x78:0", Vectors.TS, 0x78u)]
    [InlineData("f: jmp 0x80:0", Vectors.NP, 0x80u)]       // TSS not present
    [InlineData("f: call 0x98:0", Vectors.NP, 0x98u)]      // task gate not present
    [InlineData("f: jmp 0x38:0", Vectors.GP, 0x38u)]       // the TSS is busy (our own)
    [InlineData("f: call 0x38:0", Vectors.GP, 0x38u)]
    [InlineData("mov word [0x1000 + 0x40*8 + 2], 0x38\nf: int 0x40", Vectors.GP, 0x38u)] // task gate to a busy TSS
    [InlineData("mov word [0x2000], 0x60\npushfd\nor dword [esp], 0x4000\npopfd\nf: iretd", Vectors.TS, 0x60u)] // back link not busy
    [InlineData("mov word [0x2000], 0x64\npushfd\nor dword [esp], 0x4000\npopfd\nf: iretd", Vectors.TS, 0x64u)] // back link in the LDT
    [InlineData("mov word [0x2000], 0x10\npushfd\nor dword [esp], 0x4000\npopfd\nf: iretd", Vectors.TS, 0x10u)] // back link not a TSS
    public void FaultsBeforeTheSwitchLeaveTheOldTask(string body, int vector, uint error)
    {
        body = "mov eax, 0xA1\n" + body + "\nhlt";
        using var h = Tasks(body);
        h.Write64(CpuHarness.Idt + 0x40 * 8, Gate(Task2, 0, 0x85));
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(vector), $"expected #{vector}, stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(error, h.Read32(sp));
        Assert.Equal(Label(body, "f"), h.Read32(sp + 4));
        Assert.Equal(OwnTss, h.Cpu.Tr.Selector);
        Assert.Equal(0xB, TypeOf(h, OwnTss));
        Assert.Equal(0x9, TypeOf(h, Task2));
        Assert.Equal(0xA1UL, h.Cpu[X86Cpu.RAX]);
        Assert.Equal(0UL, h.Cpu.Cr0 & 8);
    }

    [Fact]
    public void ExternalInterruptThroughABusyTaskGateFaultsWithTheExtBit()
    {
        // IRQ vector 0x40 names a task gate to our own (busy) TSS: #GP(38h | EXT). STI's shadow
        // holds the interrupt until the HLT, which it wakes: the return address follows the HLT.
        string body = "sti\nhlt\nf: hlt";
        using var h = Tasks(body);
        h.Write64(CpuHarness.Idt + 0x40 * 8, Gate(OwnTss, 0, 0x85));
        h.Bus.PendingVector = 0x40;
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(Vectors.GP), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(0x39u, h.Read32(sp));
        Assert.Equal(Label(body, "f"), h.Read32(sp + 4));
    }

    [Fact]
    public void SegmentFaultInTheNewTaskIsRaisedThereAtItsFirstInstruction()
    {
        // Task 2's DS is the harness's not-present data segment: #NP(50h) after the switch, on task 2's stack.
        string body = "f: jmp 0x60:0\nhlt\ntask2: hlt";
        using var h = Tasks(body, task2Ds: 0x50);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(Vectors.NP), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        Assert.Equal(Task2, h.Cpu.Tr.Selector);
        Assert.Equal(0x9, TypeOf(h, OwnTss));
        Assert.Equal(Task2Stack - 16, h.Cpu[X86Cpu.RSP]);
        Assert.Equal(0x50u, h.Read32(Task2Stack - 16));
        Assert.Equal(Label(body, "task2"), h.Read32(Task2Stack - 12));
        Assert.Equal(0x08u, h.Read32(Task2Stack - 8));
    }

    [Fact]
    public void InvalidLdtInTheNewTaskIsTsThroughAHandlerTask()
    {
        // Task 2's LDT selector names a data segment: #TS(10h) in task 2, taken by a handler task
        // (IDT vector 10 is a task gate), which finds the error code on its stack and task 2 linked.
        string body = "f: jmp 0x60:0\nhlt\ntask2: hlt\nhandler3: hlt";
        using var h = Tasks(body, task2Ldt: 0x10);
        h.Write64(CpuHarness.Idt + Vectors.TS * 8, Gate(HandlerTask, 0, 0x85));
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Vectors.TS, h.Cpu.LastException);
        Assert.Equal(Label(body, "handler3") + 1, h.Cpu.Rip);
        Assert.Equal(HandlerTask, h.Cpu.Tr.Selector);
        Assert.Equal(Task2, h.Read16(Tss3));
        Assert.Equal(HandlerStack - 4, h.Cpu[X86Cpu.RSP]);
        Assert.Equal(0x10u, h.Read32(HandlerStack - 4));
        Assert.Equal(Label(body, "task2"), h.Read32(Tss2 + 0x20));
        Assert.Equal(0x10u, h.Read32(Tss2 + 0x54));  // task 2's DS selector, saved as loaded
        Assert.Equal(0xB, TypeOf(h, Task2));
        Assert.Equal(0x9, TypeOf(h, OwnTss));
    }

    [Fact]
    public void SixteenBitTssRoundTrip()
    {
        // Task 2 runs 16-bit code (CS 0x48, base 0) at 0x5000 from a 16-bit TSS; IRET (16-bit) returns.
        string body = "f: call 0xa0:0\nback: hlt";
        using var h = Tasks(body);
        h.Ram.Write(0x5000, Nasm.Assemble("bits 16\norg 0x5000\nhlt\niret\n"));
        ushort[] tss16 = { 0, 0, 0, 0, 0, 0, 0, 0x5000, 2, 0x1111, 0x2222, 0x3333, 0x4444, 0x6000, 0x5555, 0x6666, 0x7777, 0x10, 0x48, 0x10, 0x10, 0 };
        for (int k = 0; k < tss16.Length; k++)
        {
            h.Ram.Write(Tss16At + 2 * (ulong)k, BitConverter.GetBytes(tss16[k]));
        }
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Task16, h.Cpu.Tr.Selector);
        Assert.Equal(16, h.Cpu.CodeBits);
        Assert.Equal(0x5001UL, h.Cpu.Rip);
        Assert.Equal(0x1111UL, h.Cpu[X86Cpu.RAX] & 0xFFFF);
        Assert.Equal(0x6000UL, h.Cpu[X86Cpu.RSP] & 0xFFFF);
        Assert.Equal(OwnTss, h.Read16(Tss16At));
        Assert.Equal(0x3, TypeOf(h, Task16));

        Resume(h, "after the 16-bit IRET");
        Assert.Equal(OwnTss, h.Cpu.Tr.Selector);
        Assert.Equal(Label(body, "back") + 1, h.Cpu.Rip);
        Assert.Equal(0x5002, h.Read16(Tss16At + 0x0E));
        Assert.Equal(0x1, TypeOf(h, Task16));
    }

    [Fact]
    public void CallGateAtTheSameLevelAndRetfBack()
    {
        string body = """
            f: call 0x70:0
            back: hlt
            target: mov esi, [esp]
            mov edi, [esp + 4]
            retf
            """;
        using var h = Tasks(body);
        h.Write64(CpuHarness.Gdt + SameLevelGate, Gate(0x08, Label(body, "target"), 0x8C));
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Label(body, "back") + 1, h.Cpu.Rip);
        Assert.Equal(Label(body, "back"), h.Cpu[X86Cpu.RSI]);
        Assert.Equal(0x08UL, h.Cpu[X86Cpu.RDI]);
        Assert.Equal(CpuHarness.StackTop, h.Cpu[X86Cpu.RSP]);
        Assert.Equal(-1, h.Cpu.LastException);
    }

    [Fact]
    public void JumpThroughACallGateTakesTheGatesOffset()
    {
        string body = "f: jmp 0x70:0x1234\nhlt\ntarget: mov esi, 0x7a\nhlt";
        using var h = Tasks(body);
        h.Write64(CpuHarness.Gdt + SameLevelGate, Gate(0x08, Label(body, "target"), 0x8C));
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(0x7AUL, h.Cpu[X86Cpu.RSI]);
        Assert.Equal(CpuHarness.StackTop, h.Cpu[X86Cpu.RSP]);
    }

    [Fact]
    public void CallGateFromRing3SwitchesToTheTssStackAndCopiesParameters()
    {
        string body = """
            push 0x33
            push 0x7f000
            pushfd
            push 0x2b
            push user
            iretd
            user:
            push 0x1111
            push 0x2222
            f: call 0x93:0
            back: mov esi, 0x5a5a
            g: hlt
            target: hlt
            retf 8
            """;
        using var h = Tasks(body);
        h.Write64(CpuHarness.Gdt + UserGate, Gate(0x08, Label(body, "target"), 0xEC, parameters: 2));
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Label(body, "target") + 1, h.Cpu.Rip);
        Assert.Equal(0, h.Cpu.Cpl);
        Assert.Equal(0x10, h.Cpu.GetSegment(X86Decoder.SS).Selector);
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(CpuHarness.Ring0Stack - 24, sp);
        Assert.Equal(Label(body, "back"), h.Read32(sp));
        Assert.Equal(0x2Bu, h.Read32(sp + 4));
        Assert.Equal(0x2222u, h.Read32(sp + 8));
        Assert.Equal(0x1111u, h.Read32(sp + 12));
        Assert.Equal(0x7f000u - 8, h.Read32(sp + 16));
        Assert.Equal(0x33u, h.Read32(sp + 20));

        // RETF 8 back to ring 3 releases the parameters on both stacks; HLT there is #GP.
        h.Cpu.Halted = false;
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(Vectors.GP), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        Assert.Equal(0x5a5aUL, h.Cpu[X86Cpu.RSI]);
        sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(Label(body, "g"), h.Read32(sp + 4));
        Assert.Equal(0x2Bu, h.Read32(sp + 8));
        Assert.Equal(0x7f000u, h.Read32(sp + 16));
    }

    /// <summary>
    /// A gate into ring 1 whose SS1 in the TSS is unusable: #TS or #SS with that selector, raised
    /// in the caller (ring 3, its stack as before the CALL) and delivered on the intact ring-0 stack.
    /// </summary>
    [Theory]
    [InlineData(0x09, Vectors.TS, 0x08u)]      // a code segment
    [InlineData(0xB1, Vectors.TS, 0xB0u)]      // RPL 1, but the data segment's DPL is 2 (written below)
    [InlineData(0xB9, Vectors.SS, 0xB8u)]      // not present
    public void CallGateChecksTheInnerStackFromTheTss(ushort ss1, int vector, uint error)
    {
        string body = """
            push 0x33
            push 0x7f000
            pushfd
            push 0x2b
            push user
            iretd
            user:
            push 0x1111
            push 0x2222
            f: call 0x93:0
            hlt
            target: hlt
            """;
        using var h = Tasks(body);
        h.Write64(CpuHarness.Gdt + UserGate, Gate(Ring1Code, Label(body, "target"), 0xEC, parameters: 2));
        h.Write64(CpuHarness.Gdt + Ring1Data, 0x00CFD3000000FFFF);   // DPL 2: not a ring-1 stack
        h.Write32(CpuHarness.Tss + 0x0C, 0x7e000);
        h.Write32(CpuHarness.Tss + 0x10, ss1);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(vector), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(error, h.Read32(sp));
        Assert.Equal(Label(body, "f"), h.Read32(sp + 4));
        Assert.Equal(0x2Bu, h.Read32(sp + 8));
        Assert.Equal(0x7f000u - 8, h.Read32(sp + 16));   // the caller's ESP, as before the CALL
    }

    [Fact]
    public void CallGateIntoRingOneUsesTheTssRingOneStack()
    {
        string body = """
            push 0x33
            push 0x7f000
            pushfd
            push 0x2b
            push user
            iretd
            user:
            f: call 0x93:0
            back: hlt
            target: hlt
            """;
        using var h = Tasks(body);
        h.Write64(CpuHarness.Gdt + UserGate, Gate(Ring1Code, Label(body, "target"), 0xEC));
        h.Write32(CpuHarness.Tss + 0x0C, 0x7e000);
        h.Write32(CpuHarness.Tss + 0x10, Ring1Data | 1);
        Assert.Equal(CpuExit.Halted, h.Run());
        // HLT in ring 1 is #GP: its frame on the ring-0 stack shows where the gate went.
        Assert.True(h.StoppedInHandler(Vectors.GP), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(Label(body, "target"), h.Read32(sp + 4));
        Assert.Equal(Ring1Code | 1u, h.Read32(sp + 8));
        Assert.Equal(0x7e000u - 16, h.Read32(sp + 16));
        Assert.Equal(Ring1Data | 1u, h.Read32(sp + 20));
        Assert.Equal(Label(body, "back"), h.Read32(0x7e000 - 16));   // the ring-1 stack: CS:EIP, SS:ESP
        Assert.Equal(0x2Bu, h.Read32(0x7e000 - 12));
        Assert.Equal(0x7f000u, h.Read32(0x7e000 - 8));
        Assert.Equal(0x33u, h.Read32(0x7e000 - 4));
    }

    [Fact]
    public void InterruptFromRing3TakesTheRing0StackInTheLayoutOfASixteenBitTss()
    {
        // TR holds a 16-bit TSS: SP0 is at 2 and SS0 at 4 (a 32-bit one has ESP0 at 4, SS0 at 8).
        string body = """
            mov ax, 0xa0
            ltr ax
            push 0x33
            push 0x7f000
            pushfd
            push 0x2b
            push user
            iretd
            user:
            f: int3
            hlt
            """;
        using var h = Tasks(body);
        h.Write64(CpuHarness.Idt + Vectors.BP * 8, h.Read64(CpuHarness.Idt + Vectors.BP * 8) | (3UL << 45));
        h.Ram.Write(Tss16At + 2, BitConverter.GetBytes((ushort)0x6800));
        h.Ram.Write(Tss16At + 4, BitConverter.GetBytes((ushort)0x10));
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Vectors.BP, h.Cpu.LastException);
        Assert.Equal(0x10, h.Cpu.Seg[X86Decoder.SS].Selector);
        // A 32-bit gate pushes SS, ESP, EFLAGS, CS, EIP on the ring-0 stack: 20 bytes below SP0.
        Assert.Equal(0x6800UL - 20, h.Cpu[X86Cpu.RSP]);
        Assert.Equal(0x33u, h.Read32(0x6800 - 4));
        Assert.Equal(0x7f000u, h.Read32(0x6800 - 8));
        Assert.Equal(Label(body, "f") + 1, h.Read32(0x6800 - 20));
    }

    [Fact]
    public void InterruptFromRing3WithABadSs0IsTsForThatSelector()
    {
        // INT3 from ring 3 needs the ring-0 stack; SS0 names a code segment: #TS(08h), taken by a
        // handler task (vector 10 is a task gate), which needs no stack from the broken TSS.
        string body = """
            push 0x33
            push 0x7f000
            pushfd
            push 0x2b
            push user
            iretd
            user:
            f: int3
            hlt
            handler3: hlt
            """;
        using var h = Tasks(body);
        h.Write64(CpuHarness.Idt + Vectors.BP * 8, h.Read64(CpuHarness.Idt + Vectors.BP * 8) | (3UL << 45));
        h.Write64(CpuHarness.Idt + Vectors.TS * 8, Gate(HandlerTask, 0, 0x85));
        h.Write32(CpuHarness.Tss + 8, 0x08);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Vectors.TS, h.Cpu.LastException);
        Assert.Equal(HandlerTask, h.Cpu.Tr.Selector);
        Assert.Equal(0x08u, h.Read32(HandlerStack - 4));
        Assert.Equal(Label(body, "f"), h.Read32(CpuHarness.Tss + 0x20));   // the INT3, to restart
        Assert.Equal(0x2Bu, h.Read32(CpuHarness.Tss + 0x4C));
    }

    [Fact]
    public void SwitchLoadsCr3FromTheNewTssAndNeverSavesIt()
    {
        // Two page directories, each one 4 MiB identity page (CR4.PSE); task 1's TSS names the first.
        string body = """
            mov eax, cr4
            or eax, 0x10
            mov cr4, eax
            mov eax, 0x20000
            mov cr3, eax
            mov eax, cr0
            or eax, 0x80000000
            mov cr0, eax
            f: call 0x60:0
            back: hlt
            task2: hlt
            iretd
            """;
        using var h = Tasks(body);
        h.Write32(0x20000, 0x83);
        h.Write32(0x21000, 0x83);
        h.Write32(CpuHarness.Tss + 0x1C, 0x20000);
        h.Write32(Tss2 + 0x1C, 0x21000);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Task2, h.Cpu.Tr.Selector);
        Assert.Equal(0x21000UL, h.Cpu.Cr3);
        Assert.Equal(0x20000u, h.Read32(CpuHarness.Tss + 0x1C));
        Resume(h, "after the IRET");
        Assert.Equal(OwnTss, h.Cpu.Tr.Selector);
        Assert.Equal(0x20000UL, h.Cpu.Cr3);
        Assert.Equal(0x21000u, h.Read32(Tss2 + 0x1C));
        Assert.Equal(Label(body, "back") + 1, h.Cpu.Rip);
    }

    [Fact]
    public void PageFaultOnTheNewTssLinkComesBeforeAnyChange()
    {
        // The new TSS (linear 0x404000) is task 2's seen through a read-only 4 MiB page, with
        // CR0.WP: the CALL must write its back link, so it is #PF (P, W) with nothing changed.
        string body = """
            mov eax, cr4
            or eax, 0x10
            mov cr4, eax
            mov eax, 0x20000
            mov cr3, eax
            mov eax, cr0
            or eax, 0x80010000
            mov cr0, eax
            mov eax, 0xA1
            f: call 0xc0:0
            hlt
            task2: hlt
            """;
        using var h = Tasks(body);
        h.Write32(0x20000, 0x83);         // 0-4 MiB: identity, writable
        h.Write32(0x20004, 0x81);         // 4-8 MiB: the same memory again, read-only
        h.Write64(CpuHarness.Gdt + 0xC0, Descriptor(0x400000 + Tss2, 0x67, 0x89));
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(Vectors.PF), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        Assert.Equal(0x400000 + Tss2, h.Cpu.Cr2);
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(3u, h.Read32(sp));
        Assert.Equal(Label(body, "f"), h.Read32(sp + 4));
        Assert.Equal(OwnTss, h.Cpu.Tr.Selector);
        Assert.Equal(0x9, (int)((h.Read64(CpuHarness.Gdt + 0xC0) >> 40) & 0xF));
        Assert.Equal(0u, h.Read32(CpuHarness.Tss + 0x20));   // nothing saved into the old TSS
        Assert.Equal(0, h.Read16(Tss2));
        Assert.Equal(0UL, h.Cpu.Cr0 & 8);
    }

    [Theory]
    [InlineData("f: call 0x70:0", Vectors.GP, 0x70u)]     // gate DPL 0 from ring 3 (RPL 0, CPL 3)
    [InlineData("f: call 0x60:0", Vectors.GP, 0x60u)]     // TSS DPL 0 from ring 3
    public void GatesAndTssesCheckPrivilege(string transfer, int vector, uint error)
    {
        string body = $"""
            push 0x33
            push 0x7f000
            pushfd
            push 0x2b
            push user
            iretd
            user:
            {transfer}
            hlt
            target: hlt
            """;
        using var h = Tasks(body);
        h.Write64(CpuHarness.Gdt + SameLevelGate, Gate(0x08, Label(body, "target"), 0x8C));
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(vector), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(error, h.Read32(sp));
        Assert.Equal(Label(body, "f"), h.Read32(sp + 4));
        Assert.Equal(OwnTss, h.Cpu.Tr.Selector);
    }

    [Theory]
    [InlineData(0x38)]   // the 64-bit TSS
    [InlineData(0x60)]   // a task gate
    public void LongModeHasNoTaskSwitches(int selector)
    {
        var h = new CpuHarness("long");
        using var _h = h;
        h.Write64(CpuHarness.Gdt + 0x60, Gate(0x38, 0, 0x85));
        h.Cpu.Gdtr = new DescriptorTable { Base = CpuHarness.Gdt, Limit = 0x6F };
        string body = $"f: jmp far dword [rel fptr]\nhlt\nfptr: dd 0\ndw 0x{selector:x}";
        h.Load(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(Vectors.GP), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal((ulong)selector, h.Read64(sp));
        Assert.Equal(CpuHarness.Code, h.Read64(sp + 8));
    }

    /// <summary>Long mode with a 16-byte call gate at 60h (DPL <paramref name="dpl"/>) to 64-bit code at <paramref name="label"/>.</summary>
    private static CpuHarness LongGate(string body, string label, int dpl = 0, ushort target = 0x18, ulong highType = 0)
    {
        var h = new CpuHarness("long");
        byte[] code = Nasm.Assemble($"bits 64\norg 0x{CpuHarness.Code:x}\n{body}\nlabel_at: dq {label}\n");
        ulong offset = BitConverter.ToUInt64(code, code.Length - 8);
        h.Write64(CpuHarness.Gdt + 0x60, Gate(target, offset & 0xFFFFFFFF, (byte)(0x8C | (dpl << 5))));
        h.Write64(CpuHarness.Gdt + 0x68, (offset >> 32) | (highType << 40));
        h.Cpu.Gdtr = new DescriptorTable { Base = CpuHarness.Gdt, Limit = 0x6F };
        h.Load(body);
        return h;
    }

    private static ulong Label64(string body, string label)
    {
        byte[] code = Nasm.Assemble($"bits 64\norg 0x{CpuHarness.Code:x}\n{body}\nlabel_at: dq {label}\n");
        return BitConverter.ToUInt64(code, code.Length - 8);
    }

    [Fact]
    public void SixtyFourBitCallGateAtTheSameLevelAndRetfqBack()
    {
        string body = """
            f: call far dword [rel fptr]
            back: hlt
            target: mov rsi, [rsp]
            mov rdi, [rsp + 8]
            o64 retf
            fptr: dd 0
            dw 0x60
            """;
        using var h = LongGate(body, "target");
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(-1, h.Cpu.LastException);
        Assert.Equal(Label64(body, "back") + 1, h.Cpu.Rip);
        Assert.Equal(Label64(body, "back"), h.Cpu[X86Cpu.RSI]);
        Assert.Equal(0x18UL, h.Cpu[X86Cpu.RDI]);
        Assert.Equal(CpuHarness.StackTop, h.Cpu[X86Cpu.RSP]);
    }

    [Fact]
    public void SixtyFourBitCallGateFromRing3TakesRsp0AndANullSs()
    {
        string body = """
            push 0x33
            push 0x7f000
            pushfq
            push 0x5b
            push user
            iretq
            user:
            f: call far dword [rel fptr]
            back: mov esi, 0x5a5a
            g: hlt
            target: hlt
            o64 retf
            fptr: dd 0
            dw 0x63
            """;
        using var h = LongGate(body, "target", dpl: 3);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(Label64(body, "target") + 1, h.Cpu.Rip);
        Assert.Equal(0, h.Cpu.Cpl);
        Assert.Equal(0, h.Cpu.GetSegment(X86Decoder.SS).Selector);
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(CpuHarness.Ring0Stack - 32, sp);
        Assert.Equal(Label64(body, "back"), h.Read64(sp));
        Assert.Equal(0x5BUL, h.Read64(sp + 8));
        Assert.Equal(0x7f000UL, h.Read64(sp + 16));
        Assert.Equal(0x33UL, h.Read64(sp + 24));

        // RETFQ back to ring 3; HLT there is #GP with the ring-3 frame.
        h.Cpu.Halted = false;
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(Vectors.GP), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        Assert.Equal(0x5a5aUL, h.Cpu[X86Cpu.RSI]);
        sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(Label64(body, "g"), h.Read64(sp + 8));
        Assert.Equal(0x5BUL, h.Read64(sp + 16));
        Assert.Equal(0x7f000UL, h.Read64(sp + 32));
    }

    [Theory]
    [InlineData(0x18, 1UL, 0x60u)]      // the upper half's type field is not zero
    [InlineData(0x08, 0UL, 0x08u)]      // the target is 32-bit code
    public void SixtyFourBitCallGateFaults(int target, ulong highType, uint error)
    {
        string body = "f: call far dword [rel fptr]\nhlt\ntarget: hlt\nfptr: dd 0\ndw 0x60";
        using var h = LongGate(body, "target", target: (ushort)target, highType: highType);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(Vectors.GP), $"stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(error, h.Read64(sp));
        Assert.Equal(CpuHarness.Code, h.Read64(sp + 8));
    }
}
