namespace VirtTools.Isolation;

/// <summary>Where a container is in its life, as read from its state directory and /proc.</summary>
public enum ContainerStatus
{
    /// <summary>Defined by New-VirtContainer, never started (or its start failed).</summary>
    Created,
    /// <summary>Its monitor and init process are alive.</summary>
    Running,
    /// <summary>It ran and its monitor recorded how it ended.</summary>
    Exited,
    /// <summary>Its monitor died without recording an end (killed, or the host rebooted): Remove-VirtContainer cleans it.</summary>
    Stale,
}
