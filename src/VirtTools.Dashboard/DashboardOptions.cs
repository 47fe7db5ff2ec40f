namespace VirtTools.Dashboard;

/// <summary>How the dashboard runs.</summary>
public sealed record DashboardOptions
{
    /// <summary>Time between refreshes.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Disables every action (stop, kill, remove, pause, resume).</summary>
    public bool ReadOnly { get; init; }
}
