using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Machine;

/// <summary>The test guests in tests/guests, run to completion under KVM on this host.</summary>
public sealed class KvmGuestTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static VirtMachine Build(string guest, CpuMode mode, ulong loadAddress, bool inKernel = true) =>
        VirtMachine.Create(new MachineConfig
        {
            Name = guest,
            Accelerator = AcceleratorKind.Kvm,
            MemoryBytes = 16UL << 20,
            InKernelDevices = inKernel,
            Boot = new LoadRequest(GuestImages.Get(guest), ImageFormat.Flat, mode, loadAddress),
        });

    private static VirtMachine RunToEnd(string guest, CpuMode mode, ulong loadAddress, bool inKernel = true)
    {
        var machine = Build(guest, mode, loadAddress, inKernel);
        machine.Start();
        Assert.True(machine.WaitForExit(TimeSpan.FromSeconds(30)), $"{guest} did not finish: output so far '{machine.Output}'");
        return machine;
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void LongModeGuestPrintsTakesTimerInterruptsAndExits(bool inKernelDevices)
    {
        Requires.Kvm();
        using var machine = RunToEnd("long", CpuMode.Long, 0x100000, inKernelDevices);
        Assert.True(machine.State == MachineState.Stopped, machine.Reason);
        Assert.Equal(MachineState.Stopped, machine.State);
        Assert.Equal("long mode\r\ntick tick tick \r\n", machine.Output.ToString());
        Assert.Equal(0x40u, machine.ExitCode);
        Assert.Equal(inKernelDevices, machine.InKernelDevices);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void RealModeGuestPrintsTakesTimerInterruptsAndExits(bool inKernelDevices)
    {
        Requires.Kvm();
        using var machine = RunToEnd("real", CpuMode.Real, 0x1000, inKernelDevices);
        Assert.True(machine.State == MachineState.Stopped, machine.Reason);
        Assert.Equal("real mode\r\ntick tick tick \r\n", machine.Output.ToString());
        Assert.Equal(0x10u, machine.ExitCode);
        Assert.Equal(MachineState.Stopped, machine.State);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void ProtectedModeGuestPrintsTakesTimerInterruptsAndExits(bool inKernelDevices)
    {
        Requires.Kvm();
        using var machine = RunToEnd("protected", CpuMode.Protected, 0x100000, inKernelDevices);
        Assert.True(machine.State == MachineState.Stopped, machine.Reason);
        Assert.Equal("protected mode\r\ntick tick tick \r\n", machine.Output.ToString());
        Assert.Equal(0x20u, machine.ExitCode);
        Assert.Equal(MachineState.Stopped, machine.State);
    }

    /// <summary>
    /// 32-bit paging turned on by the guest. On VT-x/AMD-V it runs like the others. On kvm_pvm (this
    /// project's CI host) the host kernel's emulator shuts the vCPU down at the CR0.PG write (legacy
    /// and PAE paging alike): the test pins that down, so the day it changes the test says so.
    /// </summary>
    [SkippableFact]
    public void PagingGuestRunsOnHardwareAndStopsAtTheCr0WriteOnPvm()
    {
        Requires.Kvm();
        var kind = KvmInfo.Probe().Kind;
        output.WriteLine($"KVM kind on this host: {kind}");
        using var machine = RunToEnd("paging", CpuMode.Protected, 0x100000);
        if (kind == KvmKind.Pvm)
        {
            Assert.Equal(MachineState.Crashed, machine.State);
            Assert.Contains("triple-faulted", machine.Reason);
            Assert.Contains("RIP 0x100035", machine.Reason);   // mov cr0, eax (the PAGING block of protected.asm)
            Assert.Equal("", machine.Output.ToString());
            return;
        }
        Assert.True(machine.State == MachineState.Stopped, machine.Reason);
        Assert.Equal("protected mode, paging on\r\ntick tick tick \r\n", machine.Output.ToString());
        Assert.Equal(0x21u, machine.ExitCode);
    }

    [SkippableFact]
    public void TripleFaultEndsCrashedWithTheReason()
    {
        Requires.Kvm();
        using var machine = RunToEnd("triple", CpuMode.Long, 0x100000);
        Assert.Equal(MachineState.Crashed, machine.State);
        Assert.Contains("triple-faulted", machine.Reason);
        Assert.Null(machine.ExitCode);
        Assert.Equal(1, machine.Exits[VirtTools.Accelerators.VcpuExitReason.Shutdown]);
    }

    /// <summary>
    /// An instruction kvm_pvm's emulator lacks (POPCNT) ends the run as Crashed with the emulation
    /// failure spelled out, instruction bytes included; on VT-x/AMD-V the guest simply finishes.
    /// </summary>
    [SkippableFact]
    public void UnemulatedInstructionEndsCrashedWithTheExitDataOnPvm()
    {
        Requires.Kvm();
        var kind = KvmInfo.Probe().Kind;
        output.WriteLine($"KVM kind on this host: {kind}");
        using var machine = RunToEnd("unemulated", CpuMode.Long, 0x100000);
        output.WriteLine($"{machine.State}: {machine.Reason}");
        if (kind != KvmKind.Pvm)
        {
            Assert.Equal(0x50u, machine.ExitCode);
            return;
        }
        Assert.Equal(MachineState.Crashed, machine.State);
        Assert.Contains("KVM_EXIT_INTERNAL_ERROR: emulation failure", machine.Reason);
        Assert.Contains("instruction bytes f3480fb8c3", machine.Reason);
        Assert.Contains("RIP 0x100005", machine.Reason);     // popcnt, after the 5-byte mov
        Assert.Equal(VirtTools.Accelerators.VcpuExitReason.InternalError, machine.FatalExit?.Reason);
    }

    [SkippableFact]
    public void GarbagePortIoIsIgnoredAndCounted()
    {
        Requires.Kvm();
        using var machine = RunToEnd("garbage", CpuMode.Long, 0x100000);
        Assert.Equal(0x33u, machine.ExitCode);
        Assert.Equal(8, machine.UnhandledPortAccesses);
    }

    [SkippableFact]
    public void ForcedStopEndsASpinningGuestWithin100Milliseconds()
    {
        Requires.Kvm();
        using var machine = Build("spin", CpuMode.Long, 0x100000);
        machine.Start();
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!machine.Output.ToString().Contains("spinning\r\n") && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(5);
        }
        Thread.Sleep(50);
        Assert.Equal(MachineState.Running, machine.State);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        machine.Stop(force: true);
        watch.Stop();
        Assert.Equal(MachineState.Stopped, machine.State);
        Assert.True(watch.ElapsedMilliseconds < 100, $"forced stop took {watch.ElapsedMilliseconds} ms");
    }

    [SkippableFact]
    public void GracefulStopOfASpinningGuestTimesOutAndSaysToForce()
    {
        Requires.Kvm();
        using var machine = Build("spin", CpuMode.Long, 0x100000);
        machine.Start();
        Thread.Sleep(100);
        var e = Assert.Throws<VirtTools.Diagnostics.VirtToolsException>(() => machine.Stop(force: false));
        Assert.Equal("MachineStopTimeout", e.ErrorId);
        Assert.Contains("-Force", e.Message);
    }

    [SkippableFact]
    public void WaitForStateChangeReturnsTheNewStateOrTheSameOneAfterItsTimeout()
    {
        Requires.Kvm();
        using var machine = Build("spin", CpuMode.Long, 0x100000);
        Assert.Equal(MachineState.Created, machine.WaitForStateChange(MachineState.Created, TimeSpan.FromMilliseconds(50)));
        var running = Task.Run(() => machine.WaitForStateChange(MachineState.Created, Timeout.InfiniteTimeSpan));
        Thread.Sleep(50);
        Assert.False(running.IsCompleted);
        machine.Start();
        Assert.True(running.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal(MachineState.Running, running.Result);
        var stopped = Task.Run(() => machine.WaitForStateChange(MachineState.Running, TimeSpan.FromSeconds(10)));
        machine.Stop(force: true);
        Assert.True(stopped.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal(MachineState.Stopped, stopped.Result);
    }

    [SkippableFact]
    public void StopUnlessStartedEndsACreatedMachineAndLeavesARunningOneAlone()
    {
        Requires.Kvm();
        using var created = Build("spin", CpuMode.Long, 0x100000);
        Assert.True(created.StopUnlessStarted());
        Assert.Equal(MachineState.Stopped, created.State);
        Assert.Equal("stopped before it was started", created.Reason);
        Assert.Throws<VirtTools.Diagnostics.VirtToolsException>(created.Start);

        using var running = Build("spin", CpuMode.Long, 0x100000);
        running.Start();
        Assert.False(running.StopUnlessStarted());
        Assert.Equal(MachineState.Running, running.State);
        running.Stop(force: true);
        Assert.True(running.StopUnlessStarted());
    }

    [SkippableFact]
    public void PauseAndResumeFromAnotherThread()
    {
        Requires.Kvm();
        using var machine = Build("echo", CpuMode.Long, 0x100000);
        machine.Start();
        machine.Pause();
        Assert.Equal(MachineState.Paused, machine.State);
        var (regs, sregs) = machine.ReadRegisters();
        Assert.InRange(regs.Rip, 0x100000UL, 0x101000UL);
        Assert.NotEqual(0UL, sregs.Efer & VirtTools.Accelerators.SpecialRegisters.EferLongModeActive);
        machine.Resume();
        Assert.Equal(MachineState.Running, machine.State);
        machine.SendInput("q"u8);
        Assert.True(machine.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(0x45u, machine.ExitCode);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void InterruptDrivenUartEchoesInput(bool inKernelDevices)
    {
        Requires.Kvm();
        using var machine = Build("echo", CpuMode.Long, 0x100000, inKernelDevices);
        machine.Start();
        WaitFor(() => machine.Output.ToString() == "echo> ");
        machine.SendInput("hi"u8);
        WaitFor(() => machine.Output.ToString() == "echo> hi");
        machine.SendInput("q"u8);
        Assert.True(machine.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal("echo> hiq", machine.Output.ToString());
        Assert.Equal(0x45u, machine.ExitCode);
    }

    private static void WaitFor(Func<bool> condition)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "condition not met within 10 s");
            Thread.Sleep(5);
        }
    }
}
