using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Machine;

/// <summary>500 create/start/stop/dispose cycles under KVM must leave no fd, mapping or thread behind.</summary>
[Collection(SerialCollection.Name)]
public sealed class MachineLifecycleLeakTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Cycles = 500;

    [SkippableFact]
    public void FiveHundredCyclesLeakNoFdMappingOrThread()
    {
        Requires.Kvm();
        var image = GuestImages.Get("echo");
        for (var i = 0; i < 10; i++)
        {
            Cycle(image);    // warm up: JIT, thread pool, the runtime's own lazily created mappings
        }
        var before = Snapshot();
        for (var i = 0; i < Cycles; i++)
        {
            Cycle(image);
        }
        var after = Snapshot();
        output.WriteLine($"before: {before}; after {Cycles} cycles: {after}");
        // A leak costs at least one of each per cycle (500 in all); the slack absorbs the runtime's own
        // growth over a few seconds of allocation (GC regions, JIT code heaps, thread-pool threads) and
        // the odd descriptor that the rest of the test process (earlier tests' finalizers, runner
        // pipes) opens or closes meanwhile.
        Assert.InRange(after.Fds, 0, before.Fds + 8);
        Assert.InRange(after.Mappings, 0, before.Mappings + 64);
        Assert.InRange(after.Threads, 0, before.Threads + 4);
    }

    /// <summary>
    /// The same check for 2-vCPU machines (two vCPU fds, two kvm_run mappings and two threads per
    /// cycle); each cycle also waits until the guest has started its AP through INIT-SIPI-SIPI.
    /// </summary>
    [SkippableFact]
    public void FiveHundredTwoVcpuCyclesLeakNoFdMappingOrThread()
    {
        Requires.Kvm();
        var image = GuestImages.Get("smpspin");
        for (var i = 0; i < 10; i++)
        {
            Cycle(image, processors: 2);
        }
        var before = Snapshot();
        for (var i = 0; i < Cycles; i++)
        {
            Cycle(image, processors: 2);
        }
        var after = Snapshot();
        output.WriteLine($"before: {before}; after {Cycles} two-vCPU cycles: {after}");
        Assert.InRange(after.Fds, 0, before.Fds + 8);
        Assert.InRange(after.Mappings, 0, before.Mappings + 64);
        Assert.InRange(after.Threads, 0, before.Threads + 4);
    }

    private static void Cycle(byte[] image, int processors = 1)
    {
        using var machine = VirtMachine.Create(new MachineConfig
        {
            Name = "leak",
            Accelerator = AcceleratorKind.Kvm,
            MemoryBytes = 4UL << 20,
            ProcessorCount = processors,
            Boot = processors == 1
                ? new LoadRequest(image, ImageFormat.Flat, CpuMode.Long, 0x100000)
                : new LoadRequest(image, ImageFormat.Flat, CpuMode.Protected, 0x10000),
        });
        machine.Start();
        // Two vCPUs: stop once the AP runs, so every cycle also takes the INIT-SIPI-SIPI path.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (processors > 1 && !machine.Output.ToString().Contains("cpus up") && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(1);
        }
        machine.Stop(force: true);
        Assert.Equal(MachineState.Stopped, machine.State);
    }

    private static (int Fds, int Mappings, int Threads) Snapshot()
    {
        // Handles dropped without Dispose by earlier tests close in finalizers: let them run first.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return (Directory.GetFiles("/proc/self/fd").Length,
         File.ReadAllLines("/proc/self/maps").Length,
         Directory.GetDirectories("/proc/self/task").Length);
    }
}
