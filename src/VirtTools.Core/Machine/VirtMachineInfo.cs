using VirtTools.Host;

namespace VirtTools.Machine;

/// <summary>
/// A snapshot of one machine, as Get-VirtMachine shows it. <see cref="TimeToFirstExit"/> is
/// <see cref="VirtMachine.TimeToFirstExit"/>: building the machine plus starting it to its first exit.
/// </summary>
public sealed record VirtMachineInfo(
    string Name,
    Guid Id,
    MachineState State,
    AcceleratorKind Accelerator,
    string AcceleratorDescription,
    bool InKernelDevices,
    ulong MemoryMB,
    int ProcessorCount,
    DateTime? StartTime,
    TimeSpan Uptime,
    uint? ExitCode,
    string? Reason,
    IReadOnlyDictionary<string, long> Exits,
    long TotalExits,
    long UnhandledPortAccesses,
    long UnhandledMmioAccesses,
    ulong? InstructionsRetired,
    long OutputBytes,
    TimeSpan? TimeToFirstExit)
{
    public static VirtMachineInfo From(VirtMachine machine) => new(
        machine.Name, machine.Id, machine.State, machine.AcceleratorKind, machine.AcceleratorDescription, machine.InKernelDevices,
        machine.Config.MemoryBytes >> 20, machine.Config.ProcessorCount, machine.StartTime, machine.Uptime, machine.ExitCode,
        machine.Reason, machine.Exits.Snapshot(), machine.Exits.Total, machine.UnhandledPortAccesses, machine.UnhandledMmioAccesses,
        machine.InstructionsRetired, machine.Output.TotalBytes, machine.TimeToFirstExit);
}
