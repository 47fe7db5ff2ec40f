namespace VirtTools.Isolation;

/// <summary>A container as Get-VirtContainer shows it: its definition and its live state.</summary>
public sealed record Container
{
    public required string Name { get; init; }
    public ContainerStatus Status { get; init; }
    public IsolationLevel Isolation { get; init; }
    public NetworkMode Network { get; init; }
    public required string RootFs { get; init; }
    public required IReadOnlyList<string> Command { get; init; }
    public string? Hostname { get; init; }
    /// <summary>Host pid of the container's init (PID 1 inside), while it runs.</summary>
    public int? Pid { get; init; }
    /// <summary>Host pid of the helper that watches it.</summary>
    public int? MonitorPid { get; init; }
    public int? ExitCode { get; init; }
    /// <summary>The signal that ended it, if one did.</summary>
    public int? Signal { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset? Started { get; init; }
    public DateTimeOffset? Finished { get; init; }
    public ContainerLimits Limits { get; init; } = new();
    public bool OneShot { get; init; }
    public required string StateDirectory { get; init; }
    public IReadOnlyList<string> CgroupDirectories { get; init; } = [];

    public override string ToString() => Name;
}
