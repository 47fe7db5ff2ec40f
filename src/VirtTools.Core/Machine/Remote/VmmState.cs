using VirtTools.Host;

namespace VirtTools.Machine.Remote;

/// <summary>
/// state.json: what a VMM process last said about its machine, readable without its socket (and
/// after the process died, which is how stale state is recognised).
/// </summary>
public sealed record VmmState
{
    public required string Name { get; init; }

    public Guid Id { get; init; }

    public int Pid { get; init; }

    /// <summary>
    /// The VMM process's start time (field 22 of /proc/PID/stat): with the pid, it names the process,
    /// so that a recycled pid held by another VMM is not taken for this machine's. 0 in state written
    /// before it was recorded, where the pid alone is trusted.
    /// </summary>
    public ulong PidStartTime { get; init; }

    public MachineState State { get; init; }

    public AcceleratorKind Accelerator { get; init; }

    public ulong MemoryMB { get; init; }

    public DateTime? StartTime { get; init; }

    public uint? ExitCode { get; init; }

    public string? Reason { get; init; }

    /// <summary>Set when the VMM could not build the machine: the error id it failed with, for the launcher to rethrow.</summary>
    public string? ErrorId { get; init; }

    public Diagnostics.VirtErrorKind ErrorKind { get; init; }

    /// <summary>The failure's target as the core named it (a parameter's value, a path), so the rethrown error points at the same thing.</summary>
    public string? ErrorTarget { get; init; }

    /// <summary>What a machine being built by VMM process <paramref name="pid"/> shows until it is built.</summary>
    public static VmmState Starting(MachineConfig config, int pid) => new()
    {
        Name = config.Name,
        Pid = pid,
        PidStartTime = Isolation.ProcessIdentity.ReadStartTime(pid) ?? 0,
        State = MachineState.Starting,
        Accelerator = config.Accelerator,
        MemoryMB = config.MemoryBytes >> 20,
    };

    public static VmmState? TryRead(string directory)
    {
        try
        {
            return VmmJson.Deserialize<VmmState>(File.ReadAllText(VmmPaths.StateFile(directory)));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
