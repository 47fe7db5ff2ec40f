namespace VirtTools.Isolation;

/// <summary>Everything needed to start a container; stored as config.json in its state directory.</summary>
public sealed record ContainerSpec
{
    public required string Name { get; init; }
    public required string RootFs { get; init; }
    public required IReadOnlyList<string> Command { get; init; }
    public IsolationLevel Isolation { get; init; } = IsolationLevel.Container;
    public NetworkMode Network { get; init; } = NetworkMode.None;
    public string? Hostname { get; init; }
    /// <summary>The container's whole environment (nothing is inherited from the caller).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public string WorkingDirectory { get; init; } = "/";
    public int UserId { get; init; }
    public int GroupId { get; init; }
    public IReadOnlyList<VolumeMount> Volumes { get; init; } = [];
    public ContainerLimits Limits { get; init; } = new();

    /// <summary>The default PATH inside, as the Docker and OCI defaults have it.</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}
