namespace VirtTools.Monitoring;

/// <summary>Every item at one refresh, the events that refresh saw, and what it cost.</summary>
public sealed record MonitorSnapshot(
    DateTimeOffset Timestamp,
    IReadOnlyList<MonitorSample> Items,
    IReadOnlyList<MonitorEvent> Events,
    TimeSpan RefreshDuration,
    int HostCpus)
{
    public static MonitorSnapshot Empty { get; } = new(DateTimeOffset.MinValue, [], [], TimeSpan.Zero, Environment.ProcessorCount);
}
