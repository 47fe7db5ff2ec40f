namespace VirtTools.Accelerators;

/// <summary>
/// One virtual processor. <see cref="Run"/> and the register accessors are called from the single
/// thread that runs this vCPU; <see cref="RequestExit"/> is the only member safe from any thread.
/// </summary>
public interface IVirtualCpu : IDisposable
{
    int Index { get; }

    /// <summary>
    /// Runs the guest until the next exit. Port and MMIO accesses are dispatched to
    /// <paramref name="handler"/> and completed before returning; before entering the guest the backend
    /// injects a pending interrupt from <see cref="IVcpuExitHandler.Interrupts"/> when the guest can take one.
    /// </summary>
    VcpuExit Run(IVcpuExitHandler handler);

    /// <summary>
    /// Makes the current or next <see cref="Run"/> return <see cref="VcpuExitReason.Interrupted"/> promptly,
    /// even if the guest spins without exits. Safe from any thread; idempotent.
    /// </summary>
    void RequestExit();

    Registers GetRegisters();

    void SetRegisters(in Registers registers);

    SpecialRegisters GetSpecialRegisters();

    void SetSpecialRegisters(in SpecialRegisters registers);

    /// <summary>Writes model-specific registers (EFER goes through <see cref="SpecialRegisters"/> instead).</summary>
    void SetMsrs(ReadOnlySpan<MsrEntry> msrs);

    /// <summary>Instructions the guest has retired, where the accelerator counts them (the emulator); else null.</summary>
    ulong? InstructionsRetired { get; }
}
