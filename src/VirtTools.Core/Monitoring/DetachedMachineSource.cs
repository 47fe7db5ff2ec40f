using System.Diagnostics;
using System.Globalization;
using VirtTools.Machine;
using VirtTools.Machine.Remote;

namespace VirtTools.Monitoring;

/// <summary>
/// Machines that run in their own VMM process, on the whole host (/run/virttools/machines): each row
/// comes from the state file the VMM rewrites on every change, so a refresh costs one small read per
/// machine and no socket round trip. A VMM that died shows as Stale until removed.
/// </summary>
public sealed class DetachedMachineSource(Func<IReadOnlySet<string>> hostedHere) : IMonitorSource
{
    public MonitoredKind Kind => MonitoredKind.Machine;

    public void Read(ICollection<ItemReading> readings)
    {
        var local = hostedHere();
        foreach (var machine in RemoteMachineDirectory.List())
        {
            if (machine.LastState is not { } recorded || local.Contains(machine.Name))
            {
                continue; // half-written by a starting VMM, or already listed by this session's source
            }
            var state = machine.IsAlive ? recorded.State : MachineState.Stale;
            readings.Add(new ItemReading
            {
                Kind = MonitoredKind.Machine,
                Name = machine.Name,
                State = state.ToString(),
                IsRunning = state is MachineState.Running or MachineState.Paused,
                Started = recorded.StartTime is { } start ? new DateTimeOffset(start, TimeSpan.Zero) : null,
                MonotonicTicks = Stopwatch.GetTimestamp(),
                MemoryLimit = (long)recorded.MemoryMB << 20,
                Accelerator = recorded.Accelerator.ToString(),
                Vcpus = 1,
                EndReason = recorded.Reason ?? (recorded.ExitCode is { } code ? string.Create(CultureInfo.InvariantCulture, $"exit code {code}") : null),
                Failed = state is MachineState.Crashed or MachineState.Stale,
                Actions = MachineItemActions.Available(state),
                Details =
                [
                    new("VMM process", recorded.Pid.ToString(CultureInfo.InvariantCulture)),
                    new("State directory", machine.Directory),
                    new("Memory", Units.Bytes((long)recorded.MemoryMB << 20)),
                    new("Id", recorded.Id.ToString()),
                ],
            });
        }
    }

    public void Perform(string name, ItemActions action)
    {
        var machine = RemoteMachineDirectory.List().FirstOrDefault(m => m.Name == name)
            ?? throw new Diagnostics.VirtToolsException("MachineNotFound", Diagnostics.VirtErrorKind.NotFound, $"no machine named '{name}'", name);
        MachineItemActions.Perform(machine, action, () => machine.Remove(force: true));
    }

    public IReadOnlyList<string> Tail(string name, int lines)
    {
        var machine = RemoteMachineDirectory.List().FirstOrDefault(m => m.Name == name);
        if (machine is not { IsAlive: true })
        {
            return [];
        }
        var data = machine.ReadOutput(0, TimeSpan.Zero).Data;
        return TextTail.Last(System.Text.Encoding.UTF8.GetString(data), lines);
    }
}
