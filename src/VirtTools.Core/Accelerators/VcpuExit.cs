namespace VirtTools.Accelerators;

/// <summary>
/// One exit from <see cref="IVirtualCpu.Run"/>. Port and MMIO exits have already been dispatched;
/// they carry the address for statistics. Fatal exits carry a readable <see cref="Detail"/> (the
/// accelerator's reason code and suberror) and, for emulation failures, the raw data the accelerator
/// reported (instruction bytes on KVM).
/// </summary>
public readonly record struct VcpuExit(VcpuExitReason Reason, ulong Address = 0, string? Detail = null, ulong[]? Data = null)
{
    /// <summary>True when the machine cannot go on after this exit.</summary>
    public bool IsFatal => Reason is VcpuExitReason.Shutdown or VcpuExitReason.FailEntry or VcpuExitReason.InternalError
        or VcpuExitReason.SystemEvent or VcpuExitReason.Unknown;
}
