namespace VirtTools.Monitoring;

/// <summary>What can be done to an item from the dashboard; a reading says which of these apply now.</summary>
[Flags]
public enum ItemActions
{
    None = 0,
    /// <summary>Ask it to end (SIGTERM for a container, a graceful stop for a machine).</summary>
    Stop = 1,
    /// <summary>End it at once (SIGKILL, or the cgroup's processes killed).</summary>
    Kill = 2,
    /// <summary>Delete it and its state (a running one is killed first).</summary>
    Remove = 4,
    /// <summary>Stop running its vCPUs (machines).</summary>
    Pause = 8,
    /// <summary>Run its vCPUs again (machines).</summary>
    Resume = 16,
}
