using System.Runtime.InteropServices;

namespace VirtTools.Accelerators;

/// <summary>GDTR or IDTR, laid out as KVM's <c>struct kvm_dtable</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct DescriptorTable
{
    public ulong Base;
    public ushort Limit;
    private readonly ushort padding0, padding1, padding2;

    public DescriptorTable(ulong @base, ushort limit)
    {
        Base = @base;
        Limit = limit;
    }
}
