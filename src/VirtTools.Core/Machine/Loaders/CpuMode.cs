namespace VirtTools.Machine.Loaders;

/// <summary>The mode the first vCPU starts in.</summary>
public enum CpuMode
{
    /// <summary>16-bit real mode at 0000:LoadAddress, as after a BIOS jump.</summary>
    Real,
    /// <summary>32-bit protected mode, flat 4 GiB segments, paging off.</summary>
    Protected,
    /// <summary>64-bit long mode with the loader's identity-mapped page tables, GDT and stack.</summary>
    Long,
}
