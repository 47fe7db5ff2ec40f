using System.Runtime.InteropServices;
using System.Text;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// 16-bit code on the host CPU: Linux's GDT has no 16-bit user segments, so modify_ldt installs
/// three in this process's LDT for the duration of one run, each based inside one MAP_32BIT
/// mapping (mmap_min_addr forbids mapping the low 64 KiB a zero-based segment would reach).
/// </summary>
internal static unsafe partial class HostOracle
{
    // arch/x86/entry/syscalls/syscall_64.tbl: 154 modify_ldt. Function 0x11 writes one entry in the
    // "new" format (honouring useable); the entry ClearLdt builds clears the slot (LDT_empty).
    private const long SysModifyLdt = 154;
    private const int ModifyLdtWrite = 0x11;

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, int func, UserDesc* desc, nuint size);

    /// <summary>struct user_desc (asm/ldt.h): the flags word packs seg_32bit, contents (2 bits), read_exec_only, limit_in_pages, seg_not_present, useable, lm.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct UserDesc
    {
        public uint EntryNumber;
        public uint BaseAddr;
        public uint Limit;
        public uint Flags;
    }

    private const uint Seg32Bit = 1, ContentsData = 0 << 1, ContentsCode = 2 << 1, ReadExecOnly = 1 << 3, NotPresent = 1 << 5, Useable = 1 << 6;

    // LDT entries 0..2 with TI=1 and RPL 3: 16-bit code (execute/read); data over the buffer, DS
    // and also SS so BP-based addresses reach it; 16-bit data over the state page, ES.
    //
    // SS is never a 16-bit segment: Linux returns to a 16-bit SS through espfix64, which leaves
    // RSP bits 16-63 pointing into the kernel's espfix area, and a signal delivered after that
    // (without SA_ONSTACK, as System.Native's SIGCHLD handler is installed) cannot write its frame
    // at RSP and kills the process with SIGSEGV. So the data segment has D/B = 1 (B only sizes
    // stack operations, which the body does not use; BP-based addressing is unaffected), and
    // FLAGS are loaded and stored on the caller's flat 32-bit SS with ESP inside this mapping.
    private const int CodeEntry = 0, DataEntry = 1, StateEntry = 2;
    private static ushort Selector(int entry) => (ushort)(entry << 3 | 4 | 3);

    // Mapping layout, offsets from its start.
    private const int StateSegment = 0x10000, DataSegment = 0x20000;
    // Inside the state segment: EAX..EDI and EFLAGS (9 dwords), the 16:32 pointer back to 64-bit
    // code, the caller's RSP and then DS, ES, SS (words at +8, +10, +12), and the stack top. RSP
    // holds the linear address of that top while 16-bit code runs, so a signal delivered then (the
    // kernel builds a 64-bit frame at RSP) lands in the free space below it, inside the mapping.
    private const int StateAt = 0xF800, FarPointerAt = 0xF840, SavedRspAt = 0xF850, StackTop = 0xF000;
    private const int MaxCode16 = 0x8000;

    private static readonly object ldtLock = new();

    /// <summary>
    /// Runs 16-bit <paramref name="body"/> natively: a far return from 64-bit code to a 16-bit LDT
    /// code segment, registers and EFLAGS loaded (32-bit, through ES over the state page), DS and
    /// SS on the data segment whose base is <paramref name="data"/>'s copy, the body, everything
    /// stored back, and an o32 far jump to the 64-bit user code segment 0x33, which restores the
    /// caller's DS, ES, SS and RSP. <paramref name="state"/> is EAX ECX EDX EBX ESP EBP ESI EDI
    /// EFLAGS; ESP is neither loaded nor stored (the body must not use the stack).
    /// <paramref name="data"/> is the whole data segment (any length up to 1 MiB).
    /// </summary>
    public static void Run16(string body, uint[] state, byte[] data)
    {
        ulong length = (ulong)(DataSegment + data.Length);
        nint mem = mmap(0, (nuint)length, ProtRead | ProtWrite | ProtExec, MapPrivate | MapAnonymous | Map32Bit, -1, 0);
        if (mem == -1)
        {
            throw new InvalidOperationException($"mmap below 4 GiB failed: errno {Marshal.GetLastPInvokeError()}");
        }
        ulong m = (ulong)mem;
        try
        {
            byte[] code = Nasm.Assemble(Source16(body, m));
            if (code.Length > MaxCode16)
            {
                throw new InvalidOperationException("test code too long");
            }
            var code16 = new Span<byte>((void*)m, MaxCode16);
            var stateSeg = new Span<byte>((void*)(m + StateSegment), 0x10000);
            var dataSeg = new Span<byte>((void*)(m + DataSegment), data.Length);
            code.CopyTo(code16);
            ulong back = m + BitConverter.ToUInt64(code, code.Length - 8);
            BitConverter.TryWriteBytes(stateSeg[FarPointerAt..], (uint)back);
            BitConverter.TryWriteBytes(stateSeg[(FarPointerAt + 4)..], (ushort)User64Cs);
            for (int k = 0; k < 9; k++)
            {
                BitConverter.TryWriteBytes(stateSeg[(StateAt + 4 * k)..], state[k]);
            }
            data.CopyTo(dataSeg);
            lock (ldtLock)
            {
                SetLdt(CodeEntry, m, 0xFFFF, ContentsCode);
                try
                {
                    SetLdt(DataEntry, m + DataSegment, (uint)data.Length - 1, ContentsData | Seg32Bit);
                    SetLdt(StateEntry, m + StateSegment, 0xFFFF, ContentsData);
                    ((delegate* unmanaged<void>)m)();
                }
                finally
                {
                    ClearLdt(StateEntry);
                    ClearLdt(DataEntry);
                    ClearLdt(CodeEntry);
                }
            }
            for (int k = 0; k < 9; k++)
            {
                if (k != 4) { state[k] = BitConverter.ToUInt32(stateSeg[(StateAt + 4 * k)..]); }
            }
            dataSeg.CopyTo(data);
        }
        finally
        {
            munmap(mem, (nuint)length);
        }
    }

    /// <summary>The whole program, assembled at offset 0 of the mapping (<paramref name="m"/>, the 16-bit code segment's base).</summary>
    private static string Source16(string body, ulong m)
    {
        ulong state = m + StateSegment;
        string[] regs = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
        var src = new StringBuilder();
        src.AppendLine("bits 64\norg 0");
        src.AppendLine("push rbx\npush rbp\npush r12\npush r13\npush r14\npush r15");
        src.AppendLine($"mov rax, 0x{state + SavedRspAt:x}\nmov [rax], rsp\nmov [rax + 8], ds\nmov [rax + 10], es\nmov [rax + 12], ss");
        src.AppendLine($"mov rsp, 0x{state + StackTop:x}");
        src.AppendLine($"push {Selector(CodeEntry)}\npush c16\no64 retf");
        src.AppendLine("bits 16\nc16:");
        // FLAGS go through the flat 32-bit user SS, whose ESP is RSP: the stack top in the mapping.
        src.AppendLine($"mov ax, {Selector(StateEntry)}\nmov es, ax\nmov ax, {UserDs}\nmov ss, ax");
        src.AppendLine($"push dword [es:0x{StateAt + 32:x}]\npopfd");
        // MOV to a segment register leaves FLAGS alone, so the data selector can go in after POPFD.
        src.AppendLine($"mov ax, {Selector(DataEntry)}\nmov ds, ax\nmov ss, ax");
        for (int r = 0; r < 8; r++)
        {
            if (r != 4) { src.AppendLine($"mov {regs[r]}, [es:0x{StateAt + 4 * r:x}]"); }
        }
        src.AppendLine(body);
        for (int r = 0; r < 8; r++)
        {
            if (r != 4) { src.AppendLine($"mov [es:0x{StateAt + 4 * r:x}], {regs[r]}"); }
        }
        src.AppendLine($"mov ax, {UserDs}\nmov ss, ax\npushfd\npop dword [es:0x{StateAt + 32:x}]");
        src.AppendLine($"jmp far dword [es:0x{FarPointerAt:x}]");
        src.AppendLine($"bits 64\nback64:\nmov rax, 0x{state + SavedRspAt:x}\nmov ss, [rax + 12]\nmov es, [rax + 10]\nmov ds, [rax + 8]\nmov rsp, [rax]");
        src.AppendLine("pop r15\npop r14\npop r13\npop r12\npop rbp\npop rbx\nret\nalign 8\nback_at: dq back64");
        return src.ToString();
    }

    private static void SetLdt(int entry, ulong segmentBase, uint limit, uint contents)
    {
        // Byte-granular, present; writable data or readable code; 16-bit unless Seg32Bit is passed.
        var d = new UserDesc { EntryNumber = (uint)entry, BaseAddr = (uint)segmentBase, Limit = limit, Flags = contents | Useable };
        Write(d);
    }

    private static void ClearLdt(int entry) =>
        Write(new UserDesc { EntryNumber = (uint)entry, Flags = ReadExecOnly | NotPresent });

    private static void Write(UserDesc d)
    {
        if (syscall(SysModifyLdt, ModifyLdtWrite, &d, (nuint)sizeof(UserDesc)) != 0)
        {
            throw new InvalidOperationException($"modify_ldt entry {d.EntryNumber} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
