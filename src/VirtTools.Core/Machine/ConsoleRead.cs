namespace VirtTools.Machine;

/// <summary>
/// One read of a machine's console: the bytes from the requested offset, the offset to ask for
/// next, and the machine's state at the time (so a reader knows when no more output will come).
/// </summary>
public sealed record ConsoleRead(byte[] Data, long Next, MachineState State)
{
    public bool MachineEnded => State is MachineState.Stopped or MachineState.Crashed or MachineState.Stale;
}
