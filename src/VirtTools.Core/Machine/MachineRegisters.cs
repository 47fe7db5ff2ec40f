using VirtTools.Accelerators;

namespace VirtTools.Machine;

/// <summary>A vCPU's registers as Get-VirtMachineRegister shows them.</summary>
public sealed record MachineRegisters(
    string Name,
    ulong Rax, ulong Rbx, ulong Rcx, ulong Rdx, ulong Rsi, ulong Rdi, ulong Rsp, ulong Rbp,
    ulong R8, ulong R9, ulong R10, ulong R11, ulong R12, ulong R13, ulong R14, ulong R15,
    ulong Rip, ulong Rflags,
    ushort Cs, ushort Ds, ushort Es, ushort Fs, ushort Gs, ushort Ss,
    ulong Cr0, ulong Cr2, ulong Cr3, ulong Cr4, ulong Efer,
    ulong GdtBase, ushort GdtLimit, ulong IdtBase, ushort IdtLimit,
    string Mode)
{
    /// <summary>The vCPU these registers belong to (its APIC id); 0 is the bootstrap processor.</summary>
    public int Processor { get; init; }

    public static MachineRegisters From(string name, in Registers r, in SpecialRegisters s) => new(
        name, r.Rax, r.Rbx, r.Rcx, r.Rdx, r.Rsi, r.Rdi, r.Rsp, r.Rbp, r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15,
        r.Rip, r.Rflags, s.Cs.Selector, s.Ds.Selector, s.Es.Selector, s.Fs.Selector, s.Gs.Selector, s.Ss.Selector,
        s.Cr0, s.Cr2, s.Cr3, s.Cr4, s.Efer, s.Gdt.Base, s.Gdt.Limit, s.Idt.Base, s.Idt.Limit, ModeOf(s));

    /// <summary>Real, Protected (16- or 32-bit code), Long (64-bit code) or Compatibility, from CR0, EFER and CS.</summary>
    public static string ModeOf(in SpecialRegisters s) =>
        (s.Cr0 & SpecialRegisters.Cr0ProtectedMode) == 0 ? "Real"
        : (s.Efer & SpecialRegisters.EferLongModeActive) != 0 ? (s.Cs.L == 1 ? "Long" : "Compatibility")
        : s.Cs.Db == 1 ? "Protected32" : "Protected16";
}
