using VirtTools.Accelerators.Emulator;

namespace VirtTools.Machine;

/// <summary>
/// A machine hosted by this process, seen through the same interfaces as one in a VMM process
/// (<see cref="Remote.RemoteMachine"/>): the cmdlets use it for the in-process mode, and the VMM's
/// server answers its socket requests with it, so both modes behave alike by construction.
/// </summary>
public sealed class InProcessMachine(VirtMachine machine) : IMachineConsole, IMachineDebugger
{
    /// <summary>How long one wait for console output sleeps before looking at the machine's state again.</summary>
    private static readonly TimeSpan EndCheckInterval = TimeSpan.FromMilliseconds(100);

    public VirtMachine Machine => machine;

    public string Name => machine.Name;

    public VirtMachineInfo Info() => VirtMachineInfo.From(machine);

    public void Start() => machine.Start();

    public void Pause() => machine.Pause();

    public void Resume() => machine.Resume();

    public void Stop(bool force) => machine.Stop(force);

    public ConsoleRead ReadOutput(long offset, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            // The state is read before the bytes: output written before the machine ended is in this read.
            var state = machine.State;
            var left = deadline - DateTime.UtcNow;
            if (state is MachineState.Stopped or MachineState.Crashed || left <= TimeSpan.Zero
                || machine.Output.WaitPast(offset, left < EndCheckInterval ? left : EndCheckInterval))
            {
                var (data, next) = machine.Output.ReadFrom(offset);
                return new ConsoleRead(data, next, state);
            }
        }
    }

    public void SendInput(ReadOnlySpan<byte> data) => machine.SendInput(data);

    public MachineRegisters Registers(int processor = 0)
    {
        var (regs, special) = machine.ReadRegisters(processor);
        return MachineRegisters.From(machine.Name, regs, special) with { Processor = processor };
    }

    public StepResult Step(long count) => EmulatorDebugger.Step(machine, count);

    public IReadOnlyList<DisassemblyLine> Disassemble(ulong? address, int count) => EmulatorDebugger.Disassemble(machine, address, count);

    public MachineBreakpoint AddBreakpoint(ulong? address, ushort? port) => EmulatorDebugger.AddBreakpoint(machine, address, port);

    public bool RemoveBreakpoint(MachineBreakpoint breakpoint) => EmulatorDebugger.RemoveBreakpoint(machine, breakpoint);

    public IReadOnlyList<MachineBreakpoint> Breakpoints() => EmulatorDebugger.Breakpoints(machine);
}
