using System.Runtime.InteropServices;

namespace VirtTools.Accelerators;

/// <summary>
/// Segment, descriptor-table and control registers: KVM's <c>struct kvm_sregs</c> without the
/// trailing interrupt bitmap (which only the KVM backend uses, see KvmVcpu).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct SpecialRegisters
{
    public SegmentRegister Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldt;
    public DescriptorTable Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8, Efer, ApicBase;

    /// <summary>CR0.PE: protected mode.</summary>
    public const ulong Cr0ProtectedMode = 1UL << 0;
    /// <summary>CR0.ET: always 1 on anything newer than a 386.</summary>
    public const ulong Cr0ExtensionType = 1UL << 4;
    /// <summary>CR0.PG: paging.</summary>
    public const ulong Cr0Paging = 1UL << 31;
    /// <summary>CR4.PAE: physical address extension, required for long mode.</summary>
    public const ulong Cr4Pae = 1UL << 5;
    /// <summary>EFER.LME: long mode enable.</summary>
    public const ulong EferLongModeEnable = 1UL << 8;
    /// <summary>EFER.LMA: long mode active (set by the CPU once paging is on with LME).</summary>
    public const ulong EferLongModeActive = 1UL << 10;
}
