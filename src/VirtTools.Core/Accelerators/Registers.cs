using System.Runtime.InteropServices;

namespace VirtTools.Accelerators;

/// <summary>
/// The general-purpose registers of one vCPU. The field order is that of KVM's <c>struct kvm_regs</c>
/// (arch/x86/include/uapi/asm/kvm.h), so the KVM backend copies it without translation; every other
/// backend just reads and writes the fields.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct Registers
{
    public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp;
    public ulong R8, R9, R10, R11, R12, R13, R14, R15;
    public ulong Rip, Rflags;

    /// <summary>RFLAGS bit 1 is reserved and always set: the value of a freshly reset CPU.</summary>
    public const ulong ResetFlags = 0x2;

    /// <summary>RFLAGS.IF, interrupts enabled.</summary>
    public const ulong InterruptFlag = 0x200;
}
