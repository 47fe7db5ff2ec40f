using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Machine;

/// <summary>
/// Machines built with <c>borrowVcpu0Thread</c>, as a VMM process builds its machine: vCPU 0 runs on
/// the thread that calls <see cref="VirtMachine.RunWhenStarted"/>, the other vCPUs' threads exist from
/// the build on and wait, and a start only wakes them.
/// Serial: they count this process's vCPU threads.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class LentVcpuThreadTests
{
    private static VirtMachine Build(string guest, CpuMode mode, ulong loadAddress, int processors = 1) =>
        VirtMachine.Create(new MachineConfig
        {
            Name = $"lent-{guest}",
            Accelerator = AcceleratorKind.Kvm,
            MemoryBytes = 16UL << 20,
            ProcessorCount = processors,
            Boot = new LoadRequest(GuestImages.Get(guest), ImageFormat.Flat, mode, loadAddress),
        }, borrowVcpu0Thread: true);

    /// <summary>Runs <see cref="VirtMachine.RunWhenStarted"/> on a new thread; the kernel id of that thread.</summary>
    private static (Thread Thread, Func<int> Tid) Lend(VirtMachine machine)
    {
        var tid = 0;
        var thread = new Thread(() =>
        {
            tid = VirtTools.Interop.OsThread.CurrentId();
            machine.RunWhenStarted();
        }) { IsBackground = true, Name = "lender" };
        thread.Start();
        return (thread, () => tid);
    }

    /// <summary>
    /// This process's vCPU threads, by their kernel name (vcpuK:name, cut at 15 characters): the
    /// test host's own thread count moves as its thread pool grows and shrinks.
    /// </summary>
    private static int VcpuThreadCount() => Directory.GetDirectories("/proc/self/task")
        .Count(task => File.Exists(Path.Combine(task, "comm")) && ReadComm(task).StartsWith("vcpu", StringComparison.Ordinal));

    private static string ReadComm(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm"));
        }
        catch (IOException)
        {
            return ""; // the thread ended between the listing and the read
        }
    }

    [SkippableFact]
    public void TheLentThreadWaitsForTheStartRunsVcpu0AndTimeToFirstExitLeavesTheWaitOut()
    {
        Requires.Kvm();
        using var machine = Build("garbage", CpuMode.Long, 0x100000);
        var (thread, tid) = Lend(machine);
        Thread.Sleep(300);
        Assert.Equal(MachineState.Created, machine.State);
        Assert.True(thread.IsAlive, "RunWhenStarted returned before the machine started");

        machine.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "RunWhenStarted did not return when the guest ended");
        Assert.Equal(MachineState.Stopped, machine.State);
        Assert.Equal(0x33u, machine.ExitCode);
        Assert.Equal(tid(), machine.VcpuThreadIds[0]);
        // The 300 ms between the build and the start are the caller's, not the machine's.
        Assert.InRange(machine.TimeToFirstExit!.Value, TimeSpan.FromTicks(1), TimeSpan.FromMilliseconds(250));
    }

    [SkippableFact]
    public void AStartBeforeTheThreadIsLentRunsTheGuestOnceItIs()
    {
        Requires.Kvm();
        using var machine = Build("garbage", CpuMode.Long, 0x100000);
        machine.Start();
        Assert.Equal(MachineState.Running, machine.State);
        var (thread, tid) = Lend(machine);
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "RunWhenStarted did not return when the guest ended");
        Assert.Equal(0x33u, machine.ExitCode);
        Assert.Equal(tid(), machine.VcpuThreadIds[0]);
    }

    [SkippableFact]
    public void TheOtherVcpusWaitFromTheBuildAndAllRunOnceStarted()
    {
        Requires.Kvm();
        var before = VcpuThreadCount();
        using var machine = Build("smp", CpuMode.Protected, 0x10000, processors: 2);
        Assert.Equal(before + 1, VcpuThreadCount());
        var (thread, _) = Lend(machine);
        machine.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(60)), $"smp did not finish: output so far '{machine.Output}'");
        Assert.True(machine.State == MachineState.Stopped, machine.Reason);
        Assert.Equal("smp: bsp apic 0, 2 cpus in the MP table\r\nap apic 1\r\nsmp: 2 cpus up\r\n", machine.Output.ToString());
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void StoppingOrDisposingBeforeTheStartEndsTheWaitsAndLeavesNoThread(bool dispose)
    {
        Requires.Kvm();
        var before = VcpuThreadCount();
        var machine = Build("smp", CpuMode.Protected, 0x10000, processors: 2);
        var (thread, _) = Lend(machine);
        Thread.Sleep(50);
        if (dispose)
        {
            machine.Dispose();
        }
        else
        {
            machine.Stop(force: false);
        }
        Assert.True(thread.Join(TimeSpan.FromSeconds(5)), "RunWhenStarted still waits");
        Assert.Equal(MachineState.Stopped, machine.State);
        Assert.Equal("stopped before it was started", machine.Reason);
        Assert.Null(machine.TimeToFirstExit);
        machine.Dispose();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (VcpuThreadCount() > before && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(10);
        }
        Assert.Equal(before, VcpuThreadCount());
    }

    [SkippableFact]
    public void AVmmWhoseSocketCannotBeBoundReleasesTheBuiltMachineAndItsThreads()
    {
        Requires.Kvm();
        // A Unix socket path holds at most 107 bytes: this directory's control.sock cannot be bound.
        var directory = Path.Combine(Directory.CreateTempSubdirectory("vmm-long-").FullName, new string('d', 120));
        Directory.CreateDirectory(directory);
        try
        {
            VirtTools.Machine.Remote.VmmJson.WriteFileAtomically(VirtTools.Machine.Remote.VmmPaths.ConfigFile(directory), new MachineConfig
            {
                Name = "lent-long",
                Accelerator = AcceleratorKind.Kvm,
                MemoryBytes = 16UL << 20,
                ProcessorCount = 2,
                Boot = new LoadRequest(GuestImages.Get("smp"), ImageFormat.Flat, CpuMode.Protected, 0x10000),
            });
            var before = VcpuThreadCount();
            Assert.ThrowsAny<Exception>(() => VirtTools.Machine.Remote.VmmServer.Open(directory));
            var state = VirtTools.Machine.Remote.VmmState.TryRead(directory)!;
            Assert.Equal(MachineState.Crashed, state.State);
            Assert.NotNull(state.ErrorId);
            var deadline = System.Diagnostics.Stopwatch.StartNew();
            while (VcpuThreadCount() > before && deadline.Elapsed < TimeSpan.FromSeconds(5))
            {
                Thread.Sleep(10);
            }
            Assert.Equal(before, VcpuThreadCount());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }

    [SkippableFact]
    public void DisposingWhileTheLentThreadRunsTheGuestReturnsOnlyOnceItsLoopHasLeft()
    {
        Requires.Kvm();
        var machine = Build("spin", CpuMode.Long, 0x100000);
        var (thread, _) = Lend(machine);
        machine.Start();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!machine.Output.ToString().Contains("spinning", StringComparison.Ordinal) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(5);
        }
        Assert.Equal(MachineState.Running, machine.State);
        machine.Dispose();
        // The loop has left (Dispose waited for it); the lent thread only returns from RunWhenStarted now.
        Assert.True(thread.Join(TimeSpan.FromSeconds(5)), "the lent thread still runs after Dispose");
        Assert.Equal(MachineState.Stopped, machine.State);
    }

    [SkippableFact]
    public void OnlyOneThreadIsLentAndOnlyToAMachineBuiltForIt()
    {
        Requires.Kvm();
        using var lent = Build("garbage", CpuMode.Long, 0x100000);
        var (thread, _) = Lend(lent);
        Thread.Sleep(100);
        Assert.Throws<InvalidOperationException>(lent.RunWhenStarted);
        Assert.Throws<InvalidOperationException>(lent.RunOnCurrentThread);
        lent.Stop(force: true);
        Assert.True(thread.Join(TimeSpan.FromSeconds(5)));

        using var plain = VirtMachine.Create(new MachineConfig
        {
            Name = "plain",
            Accelerator = AcceleratorKind.Kvm,
            MemoryBytes = 16UL << 20,
            Boot = new LoadRequest(GuestImages.Get("garbage"), ImageFormat.Flat, CpuMode.Long, 0x100000),
        });
        Assert.Throws<InvalidOperationException>(plain.RunWhenStarted);
    }
}
