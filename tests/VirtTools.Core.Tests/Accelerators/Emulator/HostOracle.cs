using System.Runtime.InteropServices;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// Runs 64-bit code natively on the host CPU: the code is copied into an executable mapping
/// between a prologue that loads all general registers and RFLAGS from a state block and an
/// epilogue that stores them back, and called through a function pointer. Only unprivileged,
/// RSP-neutral code may run here; R15 is reserved as the base of the data buffer.
/// </summary>
internal static unsafe partial class HostOracle
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

    private const int Map32Bit = 0x40;
    // Linux x86-64 user segments: 32-bit code, 64-bit code, data.
    private const int User32Cs = 0x23, User64Cs = 0x33, UserDs = 0x2b;

    /// <summary>
    /// Runs 32-bit <paramref name="body"/> natively in compatibility mode: a far return to the
    /// kernel's 32-bit user code segment, a stack and data below 4 GiB (MAP_32BIT), a far jump
    /// back. <paramref name="state"/> is EAX ECX EDX EBX ESP EBP ESI EDI and EFLAGS (9 dwords);
    /// <paramref name="data"/> is copied to the buffer EBP points at and back.
    /// </summary>
    public static void Run32(string body, uint[] state, byte[] data)
    {
        nuint length = 65536;
        nint mem = mmap(0, length, ProtRead | ProtWrite | ProtExec, MapPrivate | MapAnonymous | Map32Bit, -1, 0);
        if (mem == -1)
        {
            throw new InvalidOperationException($"mmap below 4 GiB failed: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            ulong b = (ulong)mem;
            ulong stateAt = b + 0x8000, dataAt = b + 0x9000, savedRsp = b + 0x7F00, farPtr = b + 0x7F10, stackTop = b + 0x7E00;
            var src = new System.Text.StringBuilder();
            src.AppendLine($"bits 64\norg 0x{b:x}");
            src.AppendLine("push rbx\npush rbp\npush r12\npush r13\npush r14\npush r15");
            src.AppendLine($"mov rax, 0x{savedRsp:x}\nmov [rax], rsp");
            src.AppendLine($"push {User32Cs}\nmov rax, c32\npush rax\no64 retf");
            src.AppendLine("bits 32\nc32:");
            src.AppendLine($"mov ax, {UserDs}\nmov ds, ax\nmov es, ax\nmov esp, 0x{stackTop:x}");
            src.AppendLine($"push dword [0x{stateAt + 32:x}]\npopfd");
            string[] regs = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
            for (int r = 0; r < 8; r++)
            {
                if (r != 4) { src.AppendLine($"mov {regs[r]}, [0x{stateAt + (ulong)(4 * r):x}]"); }
            }
            src.AppendLine(body);
            for (int r = 0; r < 8; r++)
            {
                if (r != 4) { src.AppendLine($"mov [0x{stateAt + (ulong)(4 * r):x}], {regs[r]}"); }
            }
            src.AppendLine($"pushfd\npop dword [0x{stateAt + 32:x}]\njmp far [0x{farPtr:x}]");
            src.AppendLine($"bits 64\nback64:\nmov rax, 0x{savedRsp:x}\nmov rsp, [rax]");
            src.AppendLine("pop r15\npop r14\npop r13\npop r12\npop rbp\npop rbx\nret\nback_at: dq back64");
            byte[] code = Nasm.Assemble(src.ToString());
            if (code.Length > 0x7E00 - 0x100)
            {
                throw new InvalidOperationException("test code too long");
            }
            var span = new Span<byte>((void*)mem, (int)length);
            code.CopyTo(span);
            ulong back = BitConverter.ToUInt64(code, code.Length - 8);
            BitConverter.TryWriteBytes(span[0x7F10..], (uint)back);
            BitConverter.TryWriteBytes(span[0x7F14..], (ushort)User64Cs);
            state[5] = (uint)dataAt;
            for (int k = 0; k < 9; k++)
            {
                BitConverter.TryWriteBytes(span[(0x8000 + 4 * k)..], state[k]);
            }
            data.CopyTo(span[0x9000..]);
            ((delegate* unmanaged<void>)mem)();
            for (int k = 0; k < 9; k++)
            {
                state[k] = BitConverter.ToUInt32(span[(0x8000 + 4 * k)..]);
            }
            span.Slice(0x9000, data.Length).CopyTo(data);
        }
        finally
        {
            munmap(mem, length);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> natively with R15 pointing at a page-aligned copy of
    /// <paramref name="data"/> (16-byte SSE operands need the alignment) and returns that buffer after
    /// the run; <paramref name="state"/> as for <see cref="Run"/>.
    /// </summary>
    public static byte[] RunWithData(byte[] body, ulong[] state, byte[] data)
    {
        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)data.Length, 4096);
        try
        {
            data.CopyTo(new Span<byte>(buffer, data.Length));
            state[15] = (ulong)buffer;
            Run(body, state);
            return new Span<byte>(buffer, data.Length).ToArray();
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

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
