namespace VirtTools.Monitoring;

/// <summary>One event seen by the sampler; <see cref="Name"/> is empty for a source-wide one.</summary>
public sealed record MonitorEvent(DateTimeOffset Time, MonitoredKind Kind, string Name, MonitorEventKind Event, string Message)
{
    public override string ToString() => $"{Time:HH:mm:ss} {Kind} {Name}: {Message}";
}
