namespace VirtTools.Accelerators;

/// <summary>Why <see cref="IVirtualCpu.Run"/> returned. Every backend maps its own exit codes onto these.</summary>
public enum VcpuExitReason
{
    /// <summary>A port access, already dispatched to <see cref="IVcpuExitHandler"/> and completed.</summary>
    PortIo,
    /// <summary>An MMIO access, already dispatched to <see cref="IVcpuExitHandler"/> and completed.</summary>
    Mmio,
    /// <summary>The guest executed HLT with no interrupt pending: wait for one.</summary>
    Halt,
    /// <summary>The guest asked for an interrupt window and it is open now (user-space interrupt controller).</summary>
    InterruptWindow,
    /// <summary>The run was cut short by <see cref="IVirtualCpu.RequestExit"/> (or a stray signal).</summary>
    Interrupted,
    /// <summary>Triple fault or another shutdown condition: the machine cannot continue.</summary>
    Shutdown,
    /// <summary>The accelerator refused to enter the guest (invalid guest state).</summary>
    FailEntry,
    /// <summary>The accelerator failed internally, e.g. could not emulate an instruction.</summary>
    InternalError,
    /// <summary>The guest asked for a reset, shutdown or crash through the accelerator (PSCI, Hyper-V).</summary>
    SystemEvent,
    /// <summary>A debug exit (single step, breakpoint).</summary>
    Debug,
    /// <summary>An exit the backend does not know; <see cref="VcpuExit.Detail"/> holds the raw code.</summary>
    Unknown,
}
