using VirtTools.Host;

namespace VirtTools.Machine;

/// <summary>What Invoke-VirtMachine returns: how a one-shot run ended and what the guest said.</summary>
public sealed record MachineRunResult(
    string Name,
    MachineState State,
    uint? ExitCode,
    string Output,
    string? Reason,
    bool TimedOut,
    TimeSpan Duration,
    TimeSpan? TimeToFirstExit,
    IReadOnlyDictionary<string, long> Exits,
    long TotalExits,
    long UnhandledPortAccesses,
    AcceleratorKind Accelerator,
    string AcceleratorDescription,
    KvmKind HostKvmKind);
