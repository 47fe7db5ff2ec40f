using VirtTools.Accelerators.Emulator;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// #AC (vector 17, error code 0): with CR0.AM, EFLAGS.AC and CPL 3, a misaligned data or stack
/// access of the sizes in SDM table 6-7 faults at the instruction; bytes, aligned accesses,
/// 16-byte SSE operands (#GP instead for the aligned forms), the parts of an FSAVE area, CPL 0,
/// EFLAGS.AC = 0 and CR0.AM = 0 do not. The guest enters ring 3 by IRETD with AC in the pushed
/// EFLAGS; a HLT there (#GP) marks the end when nothing faulted earlier.
/// </summary>
public sealed class AlignmentCheckTests
{
    private static string Body(bool am, string user) => $"""
        mov eax, cr4
        or eax, 0x200
        mov cr4, eax
        mov eax, cr0
        {(am ? "or eax, 0x40000" : "and eax, ~0x40000")}
        mov cr0, eax
        push 0x33
        push 0x7f000
        pushfd
        or dword [esp], 0x40000
        push 0x2b
        push user
        iretd
        user:
        mov ax, 0x33
        mov ds, ax
        mov es, ax
        {user}
        end: hlt
        align 16
        d: times 256 db 0
        """;

    private static ulong Label(string body, string label)
    {
        byte[] withLabel = Nasm.Assemble($"bits 32\norg 0x{CpuHarness.Code:x}\n{body}\nlabel_at: dq {label}\n");
        return BitConverter.ToUInt64(withLabel, withLabel.Length - 8);
    }

    private static void Expect(bool am, string user, int vector, string at)
    {
        using var h = new CpuHarness("protected");
        string body = Body(am, user);
        h.Load(body);
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.True(h.StoppedInHandler(vector), $"expected #{vector}, stopped at {h.Cpu.Rip:x} after exception {h.Cpu.LastException}");
        ulong sp = h.Cpu[X86Cpu.RSP];
        Assert.Equal(0u, h.Read32(sp));                      // #AC's error code (and #GP(0)'s)
        Assert.Equal(Label(body, at), h.Read32(sp + 4));
        Assert.Equal(0x2Bu, h.Read32(sp + 8));
    }

    [Theory]
    [InlineData("f: mov eax, [d + 1]")]
    [InlineData("f: mov ax, [d + 1]")]
    [InlineData("f: mov [d + 2], eax")]
    [InlineData("f: inc dword [d + 3]")]
    [InlineData("f: fld qword [d + 4]")]                 // m64: 8
    [InlineData("f: fld tword [d + 4]")]                 // m80: 8
    [InlineData("f: cmpxchg8b [d + 4]")]                 // m64: 8
    [InlineData("f: fnstenv [d + 2]")]                   // 32-bit environment: 4
    [InlineData("f: movq xmm0, [d + 4]")]                // 8-byte SSE operand: checked
    [InlineData("mov esi, d + 1\nmov edi, d + 64\nf: movsd")]
    [InlineData("mov esp, 0x7effe\nf: push eax")]        // the stack too
    [InlineData("mov eax, [d + 4]\nf: mov eax, [d + 5]")] // the page is already in the TLB
    [InlineData("pushfd\nand dword [esp], ~0x40000\npopfd\nmov eax, [d + 5]\npushfd\nor dword [esp], 0x40000\npopfd\nf: mov eax, [d + 5]")] // POPF turns it on
    public void MisalignedAccessAtCpl3Faults(string user) => Expect(am: true, user, Vectors.AC, "f");

    [Theory]
    [InlineData("mov eax, [d + 4]\nmov ax, [d + 2]\nmov al, [d + 3]\nmov [d + 8], eax")]
    [InlineData("fld tword [d + 8]\nfld qword [d + 16]\nfstp qword [d + 24]")]
    [InlineData("fnsave [d + 4]\nfrstor [d + 4]")]       // area: 4; its 80-bit registers sit at +28 + 10k
    [InlineData("movups xmm0, [d + 4]\nmovdqu [d + 36], xmm0")] // 16-byte operands are not checked
    [InlineData("pushfd\nand dword [esp], ~0x40000\npopfd\nmov eax, [d + 1]")] // EFLAGS.AC = 0
    public void AlignedOrExemptAccessesDoNotFault(string user) => Expect(am: true, user, Vectors.GP, "end");

    [Fact]
    public void AlignedSseFormsStillRaiseGeneralProtection() => Expect(am: true, "f: movaps xmm0, [d + 4]", Vectors.GP, "f");

    [Fact]
    public void WithoutCr0AmNothingIsChecked() => Expect(am: false, "mov eax, [d + 1]\npush eax\nmov [d + 3], eax", Vectors.GP, "end");

    [Fact]
    public void RingZeroIsNeverChecked()
    {
        using var h = new CpuHarness("protected");
        h.Load("mov eax, cr0\nor eax, 0x40000\nmov cr0, eax\npushfd\nor dword [esp], 0x40000\npopfd\nmov eax, [d + 1]\nmov [d + 3], eax\nhlt\nd: times 16 db 0");
        Assert.Equal(CpuExit.Halted, h.Run());
        Assert.Equal(-1, h.Cpu.LastException);
        Assert.NotEqual(0u, h.Cpu.GetFlags() & X86Cpu.AC);
    }
}
