namespace VirtTools.Isolation;

/// <summary>What a container's state directory records beside the spec (config.json).</summary>
public sealed record ContainerState
{
    public required ContainerSpec Spec { get; init; }
    public DateTimeOffset Created { get; init; }
    /// <summary>/proc/sys/kernel/random/boot_id at creation: state from an earlier boot is stale.</summary>
    public string BootId { get; init; } = "";
    /// <summary>Made by Invoke-VirtContainer for one run and removed after it.</summary>
    public bool OneShot { get; init; }
    /// <summary>The pwsh that created it; a one-shot whose creator died before starting it is stale.</summary>
    public int CreatorPid { get; init; }
    public ulong CreatorStartTime { get; init; }
    /// <summary>Absolute cgroup directories, one per hierarchy, created at start.</summary>
    public IReadOnlyList<string> CgroupDirectories { get; init; } = [];
}
