using System.Diagnostics;
using System.Globalization;
using VirtTools.Machine;
using VirtTools.Machine.Remote;

namespace VirtTools.Monitoring;

/// <summary>
/// Machines that run in their own VMM process, on the whole host (/run/virttools/machines): state
/// from the state file the VMM rewrites on every change; CPU time and resident memory of the VMM
/// process from procfs; vCPUs, exits and retired instructions from the VMM's status reply (one socket
/// round trip per live machine and refresh). A VMM that died shows as Stale until removed.
/// </summary>
public sealed class DetachedMachineSource(Func<IReadOnlySet<string>> hostedHere) : IMonitorSource
{
    /// <summary>How long one refresh waits for all status replies together (a VMM's first reply, JIT included, took over 200 ms on a loaded host).</summary>
    private static readonly TimeSpan StatusBudget = TimeSpan.FromMilliseconds(500);

    public MonitoredKind Kind => MonitoredKind.Machine;

    public void Read(ICollection<ItemReading> readings)
    {
        var local = hostedHere();
        var machines = RemoteMachineDirectory.List()
            .Where(m => m.LastState is not null && !local.Contains(m.Name)) // half-written by a starting VMM, or listed by this session's source
            .Select(m => (Machine: m, Alive: m.IsAlive))
            .ToList();
        var statuses = AskStatus(machines.Where(m => m.Alive && m.Machine.LastState!.State is MachineState.Running or MachineState.Paused).Select(m => m.Machine));
        foreach (var (machine, alive) in machines)
        {
            var recorded = machine.LastState!;
            var state = alive ? recorded.State : MachineState.Stale;
            var info = statuses.TryGetValue(machine.Name, out var status) && status.IsCompletedSuccessfully ? status.Result : null;
            readings.Add(new ItemReading
            {
                Kind = MonitoredKind.Machine,
                Name = machine.Name,
                State = state.ToString(),
                IsRunning = state is MachineState.Running or MachineState.Paused,
                Started = recorded.StartTime is { } start ? new DateTimeOffset(start, TimeSpan.Zero) : null,
                MonotonicTicks = Stopwatch.GetTimestamp(),
                CpuUsage = alive ? ProcessUsage.ProcessCpu(recorded.Pid) : null,
                MemoryBytes = alive ? ProcessUsage.ResidentBytes(recorded.Pid) : null,
                MemoryLimit = (long)recorded.MemoryMB << 20,
                Accelerator = recorded.Accelerator.ToString(),
                Vcpus = info?.ProcessorCount,
                // The emulator counts instructions; a hardware accelerator counts exits instead.
                Exits = info is { InstructionsRetired: null } ? info.TotalExits : null,
                Instructions = info?.InstructionsRetired is { } n ? (long)n : null,
                EndReason = recorded.Reason ?? (recorded.ExitCode is { } code ? string.Create(CultureInfo.InvariantCulture, $"exit code {code}") : null),
                Failed = state is MachineState.Crashed or MachineState.Stale,
                Actions = MachineItemActions.Available(state),
                Details =
                [
                    new("Accelerator", info?.AcceleratorDescription ?? recorded.Accelerator.ToString()),
                    new("VMM process", recorded.Pid.ToString(CultureInfo.InvariantCulture)),
                    new("State directory", machine.Directory),
                    new("Memory", Units.Bytes((long)recorded.MemoryMB << 20)),
                    new("Id", recorded.Id.ToString()),
                ],
            });
        }
    }

    /// <summary>
    /// Sends every status request at once and waits for the replies up to <see cref="StatusBudget"/> in
    /// all: a VMM busy elsewhere must not hold the dashboard's refresh (its row then lacks the rates for
    /// this refresh). A failed or late request leaves a task that is not completed successfully.
    /// </summary>
    private static Dictionary<string, Task<VirtMachineInfo>> AskStatus(IEnumerable<RemoteMachine> machines)
    {
        var asked = machines.ToDictionary(m => m.Name, m => Task.Run(m.Info));
        if (asked.Count > 0)
        {
            try
            {
                Task.WaitAll([.. asked.Values], StatusBudget);
            }
            catch (AggregateException)
            {
                // A VMM that died or refused: its task is faulted and its row shows no rates.
            }
        }
        return asked;
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
