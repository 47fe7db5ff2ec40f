using System.Diagnostics;
using VirtTools.Host;

namespace VirtTools.Machine;

/// <summary>
/// A one-shot run: build, run the vCPU on the calling thread until the guest ends it or the timeout
/// (a timer forces a stop), collect the result, release everything. Invoke-VirtMachine and the
/// benchmarks use it.
/// </summary>
public static class MachineRun
{
    public static MachineRunResult Run(MachineConfig config, TimeSpan timeout, byte[]? input = null, CancellationToken cancel = default)
    {
        using var machine = VirtMachine.Create(config);
        if (input is { Length: > 0 })
        {
            machine.SendInput(input);
        }
        var timedOut = false;
        var watch = Stopwatch.StartNew();
        using (var timer = new Timer(_ =>
        {
            if (machine.State is MachineState.Running or MachineState.Paused)
            {
                timedOut = true;
                ForceStop(machine);
            }
        }, null, timeout, Timeout.InfiniteTimeSpan))
        using (cancel.Register(() => ForceStop(machine)))
        {
            machine.RunOnCurrentThread();
        }
        watch.Stop();
        var finished = !timedOut && !cancel.IsCancellationRequested;
        var kind = machine.AcceleratorKind == AcceleratorKind.Kvm ? KvmInfo.DetectKind("/sys/module").Kind : KvmKind.None;
        return new MachineRunResult(machine.Name, machine.State, machine.ExitCode, machine.Output.ToString(),
            finished ? machine.Reason : $"timed out after {timeout}; {machine.Reason}", timedOut, watch.Elapsed, machine.TimeToFirstExit,
            machine.Exits.Snapshot(), machine.Exits.Total, machine.UnhandledPortAccesses, machine.AcceleratorKind,
            machine.AcceleratorDescription, kind);
    }

    /// <summary>A forced stop from a timer or a cancellation callback, where an exception would have nowhere to go.</summary>
    private static void ForceStop(VirtMachine machine)
    {
        try
        {
            machine.Stop(force: true);
        }
        catch (Diagnostics.VirtToolsException)
        {
            // The loop is ending on its own (it only fails to stop in time when already finishing).
        }
    }
}
