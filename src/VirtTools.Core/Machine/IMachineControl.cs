namespace VirtTools.Machine;

/// <summary>
/// What the lifecycle cmdlets need from a machine, wherever it runs: in this process
/// (<see cref="VirtMachine"/>) or in its own VMM process (<see cref="Remote.RemoteMachine"/>).
/// </summary>
public interface IMachineControl
{
    string Name { get; }

    VirtMachineInfo Info();

    void Start();

    void Pause();

    void Resume();

    void Stop(bool force);
}
