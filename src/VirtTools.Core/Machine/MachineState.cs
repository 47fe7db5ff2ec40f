namespace VirtTools.Machine;

/// <summary>Where a machine is in its life. The vCPU loop moves between Running and Paused; Stopped and Crashed are final.</summary>
public enum MachineState
{
    /// <summary>Built and loaded, not started.</summary>
    Created,
    Running,
    Paused,
    /// <summary>Ended normally: debug-exit port, guest reset request, or a stop from the host.</summary>
    Stopped,
    /// <summary>Ended by a fatal exit (triple fault, entry failure, emulation failure); see the reason.</summary>
    Crashed,
    /// <summary>State left under /run/virttools by a VMM process that died; Remove-VirtMachine cleans it.</summary>
    Stale,
    /// <summary>
    /// A VMM process is building the machine (its New-VirtMachine has not returned): visible host-wide
    /// so that another session neither takes the half-built directory for stale state nor removes it
    /// without -Force. Last in the enum so the numbers of the older states do not move.
    /// </summary>
    Starting,
}
