using VirtTools.Accelerators;

namespace VirtTools.Machine.Loaders;

/// <summary>The CPU state a loader hands the first vCPU: what a bootloader leaves behind when it jumps.</summary>
public sealed record BootState(Registers Registers, SpecialRegisters SpecialRegisters, IReadOnlyList<MsrEntry> Msrs)
{
    /// <summary>Writes the state into <paramref name="vcpu"/>: special registers, MSRs, then general registers.</summary>
    public void Apply(IVirtualCpu vcpu)
    {
        vcpu.SetSpecialRegisters(SpecialRegisters);
        if (Msrs.Count > 0)
        {
            vcpu.SetMsrs(Msrs.ToArray());
        }
        vcpu.SetRegisters(Registers);
    }
}
