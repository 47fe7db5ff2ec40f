namespace VirtTools.Isolation;

/// <summary>What Invoke-VirtContainer returns: how one command in a container ended.</summary>
public sealed record ContainerRunResult
{
    public required string Name { get; init; }
    /// <summary>The command's exit status, 128+N when signal N ended it.</summary>
    public int ExitCode { get; init; }
    /// <summary>Standard output, one string per line.</summary>
    public required string[] Output { get; init; }
    /// <summary>Standard error, one string per line.</summary>
    public required string[] Error { get; init; }
    /// <summary>Whether the memory cgroup's OOM killer killed a process of the container during the run.</summary>
    public bool OomKilled { get; init; }
    /// <summary>The container cgroup's peak memory use in bytes, when memory is accounted.</summary>
    public long? PeakMemory { get; init; }
    public TimeSpan Duration { get; init; }
}
