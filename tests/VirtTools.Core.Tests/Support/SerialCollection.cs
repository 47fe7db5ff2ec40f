namespace VirtTools.Tests.Support;

/// <summary>
/// Tests that count process-wide resources (fds, mappings, threads) or time things: xunit runs this
/// collection on its own, after the parallel ones, so other tests cannot disturb the counts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial";
}
