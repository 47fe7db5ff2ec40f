using System.Diagnostics;
using VirtTools.Host;

namespace VirtTools.Machine;

/// <summary>
/// A one-shot run: build, start, wait for the end or the timeout (then force a stop), collect the
/// result, release everything. Invoke-VirtMachine and the benchmarks use it.
/// </summary>
public static class MachineRun
{
    public static MachineRunResult Run(MachineConfig config, TimeSpan timeout, byte[]? input = null, CancellationToken cancel = default)
    {
        using var machine = VirtMachine.Create(config);
        var watch = Stopwatch.StartNew();
        machine.Start();
        if (input is { Length: > 0 })
        {
            machine.SendInput(input);
        }
        var finished = false;
        using (cancel.Register(() => machine.Stop(force: true)))
        {
            finished = machine.WaitForExit(timeout);
        }
        if (!finished)
        {
            machine.Stop(force: true);
        }
        watch.Stop();
        var kind = machine.AcceleratorKind == AcceleratorKind.Kvm ? KvmInfo.DetectKind("/sys/module").Kind : KvmKind.None;
        return new MachineRunResult(machine.Name, machine.State, machine.ExitCode, machine.Output.ToString(),
            finished ? machine.Reason : $"timed out after {timeout}; {machine.Reason}", !finished && !cancel.IsCancellationRequested, watch.Elapsed,
            machine.Exits.Snapshot(), machine.Exits.Total, machine.UnhandledPortAccesses, machine.AcceleratorKind,
            machine.AcceleratorDescription, kind);
    }
}
