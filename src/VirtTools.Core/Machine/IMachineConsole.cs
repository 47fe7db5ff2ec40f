namespace VirtTools.Machine;

/// <summary>
/// A machine's serial console (COM1), wherever the machine runs: what Enter-VirtMachine attaches to.
/// Output is read by offset (a running byte count), so a reader that detaches and comes back, from
/// this or another process, continues where the console is.
/// </summary>
public interface IMachineConsole : IMachineControl
{
    /// <summary>
    /// The output from <paramref name="offset"/> on, waiting up to <paramref name="wait"/> for some when
    /// there is none yet (and the machine still runs).
    /// </summary>
    ConsoleRead ReadOutput(long offset, TimeSpan wait);

    void SendInput(ReadOnlySpan<byte> data);
}
