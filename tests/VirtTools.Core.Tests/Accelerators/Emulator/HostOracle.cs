using System.Runtime.InteropServices;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// Runs 64-bit code natively on the host CPU: the code is copied into an executable mapping
/// between a prologue that loads all general registers and RFLAGS from a state block and an
/// epilogue that stores them back, and called through a function pointer. Only unprivileged,
/// RSP-neutral code may run here; R15 is reserved as the base of the data buffer.
/// </summary>
internal static unsafe class HostOracle
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20;

    [DllImport("libc", SetLastError = true)]
    private static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(nint addr, nuint length);

    // State block: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 (encoding order, 8 bytes each), then RFLAGS at 128.
    private const string Prologue = """
        bits 64
        push rbx
        push rbp
        push r12
        push r13
        push r14
        push r15
        push rdi
        mov rax, [rdi + 128]
        push rax
        popfq
        mov rax, [rdi + 0]
        mov rcx, [rdi + 8]
        mov rdx, [rdi + 16]
        mov rbx, [rdi + 24]
        mov rbp, [rdi + 40]
        mov rsi, [rdi + 48]
        mov r8, [rdi + 64]
        mov r9, [rdi + 72]
        mov r10, [rdi + 80]
        mov r11, [rdi + 88]
        mov r12, [rdi + 96]
        mov r13, [rdi + 104]
        mov r14, [rdi + 112]
        mov r15, [rdi + 120]
        mov rdi, [rdi + 56]
        """;

    private const string Epilogue = """
        bits 64
        pushfq
        push rdi
        mov rdi, [rsp + 16]
        mov [rdi + 0], rax
        mov [rdi + 8], rcx
        mov [rdi + 16], rdx
        mov [rdi + 24], rbx
        mov [rdi + 40], rbp
        mov [rdi + 48], rsi
        mov [rdi + 64], r8
        mov [rdi + 72], r9
        mov [rdi + 80], r10
        mov [rdi + 88], r11
        mov [rdi + 96], r12
        mov [rdi + 104], r13
        mov [rdi + 112], r14
        mov [rdi + 120], r15
        pop rax
        mov [rdi + 56], rax
        pop rax
        mov [rdi + 128], rax
        pop rdi
        pop r15
        pop r14
        pop r13
        pop r12
        pop rbp
        pop rbx
        ret
        """;

    /// <summary>Runs <paramref name="body"/> natively with <paramref name="state"/> (17 words) in and out.</summary>
    public static void Run(byte[] body, ulong[] state)
    {
        byte[] pro = Nasm.Assemble(Prologue), epi = Nasm.Assemble(Epilogue);
        nuint length = 16384;
        nint mem = mmap(0, length, ProtRead | ProtWrite | ProtExec, MapPrivate | MapAnonymous, -1, 0);
        if (mem == -1)
        {
            throw new InvalidOperationException($"mmap of executable memory failed: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            var span = new Span<byte>((void*)mem, (int)length);
            pro.CopyTo(span);
            body.CopyTo(span[pro.Length..]);
            epi.CopyTo(span[(pro.Length + body.Length)..]);
            var fn = (delegate* unmanaged<ulong*, void>)mem;
            fixed (ulong* s = state)
            {
                fn(s);
            }
        }
        finally
        {
            munmap(mem, length);
        }
    }
}
