namespace VirtTools.Monitoring;

/// <summary>What a monitored item is; the order is the dashboard's default grouping.</summary>
public enum MonitoredKind
{
    Container,
    Machine,
    Cgroup,
}
