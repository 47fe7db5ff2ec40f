using System.Diagnostics;
using System.Globalization;
using VirtTools.Machine;

namespace VirtTools.Monitoring;

/// <summary>
/// Machines hosted by this process (the in-process mode of <see cref="MachineRegistry"/>): state,
/// accelerator, vCPUs, exits or retired instructions for the rates, CPU time of the vCPU thread, and
/// the serial console for the detail pane. No memory figure: the guest's RAM lives in this process's
/// resident set with everything else. The registry is looked up on every read because a session can
/// replace it.
/// </summary>
public sealed class MachineSource(Func<MachineRegistry> registry) : IMonitorSource
{
    public MonitoredKind Kind => MonitoredKind.Machine;

    public void Read(ICollection<ItemReading> readings)
    {
        foreach (var machine in registry().All)
        {
            try
            {
                readings.Add(ReadOne(machine));
            }
            catch (ObjectDisposedException)
            {
                // Removed by another runspace between the listing and the read.
            }
        }
    }

    /// <summary>The CPU time of every vCPU thread that has started; null before any has.</summary>
    private static TimeSpan? VcpuCpu(VirtMachine machine)
    {
        TimeSpan? total = null;
        foreach (var tid in machine.VcpuThreadIds)
        {
            if (tid != 0 && ProcessUsage.ThreadCpu(tid) is { } cpu)
            {
                total = (total ?? TimeSpan.Zero) + cpu;
            }
        }
        return total;
    }

    private static ItemReading ReadOne(VirtMachine machine)
    {
        var state = machine.State;
        var live = state is MachineState.Running or MachineState.Paused;
        var instructions = machine.InstructionsRetired;
        return new ItemReading
        {
            Kind = MonitoredKind.Machine,
            Name = machine.Name,
            State = state.ToString(),
            IsRunning = live,
            Started = machine.StartTime is { } start ? new DateTimeOffset(start, TimeSpan.Zero) : null,
            MonotonicTicks = Stopwatch.GetTimestamp(),
            CpuUsage = live ? VcpuCpu(machine) : null,
            MemoryLimit = (long)machine.Config.MemoryBytes,
            Accelerator = machine.AcceleratorKind.ToString(),
            Vcpus = machine.Config.ProcessorCount,
            // The emulator counts instructions; a hardware accelerator counts exits instead.
            Exits = instructions is null ? machine.Exits.Total : null,
            Instructions = instructions is { } n ? (long)n : null,
            EndReason = machine.Reason ?? (machine.ExitCode is { } code ? string.Create(CultureInfo.InvariantCulture, $"exit code {code}") : null),
            Failed = state == MachineState.Crashed,
            Actions = MachineItemActions.Available(state),
            Details =
            [
                new("Accelerator", machine.AcceleratorDescription),
                new("Memory", Units.Bytes((long)machine.Config.MemoryBytes)),
                new("vCPUs", machine.Config.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                new("Exits", machine.Exits.Total.ToString(CultureInfo.InvariantCulture)),
                new("Unhandled I/O", string.Create(CultureInfo.InvariantCulture, $"{machine.UnhandledPortAccesses} port, {machine.UnhandledMmioAccesses} MMIO")),
                new("Id", machine.Id.ToString()),
            ],
        };
    }

    public void Perform(string name, ItemActions action)
    {
        var machines = registry();
        MachineItemActions.Perform(machines.Get(name), action, () => machines.Remove(name, force: true));
    }

    public IReadOnlyList<string> Tail(string name, int lines)
    {
        var output = registry().All.FirstOrDefault(m => m.Name == name)?.Output;
        return output is null ? [] : TextTail.Last(output.ToString(), lines);
    }
}
