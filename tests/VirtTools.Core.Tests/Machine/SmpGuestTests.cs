using VirtTools.Accelerators;
using VirtTools.Accelerators.Kvm;
using VirtTools.Diagnostics;
using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Machine;

/// <summary>
/// Machines with more than one vCPU under KVM's in-kernel irqchip: the smp guests (tests/guests/smp.asm)
/// start their APs with INIT-SIPI-SIPI, and the machine's pause, forced stop and crash handling reach
/// every vCPU thread.
/// </summary>
public sealed class SmpGuestTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static VirtMachine Build(string guest, int processors, bool inKernel = true) =>
        VirtMachine.Create(new MachineConfig
        {
            Name = $"smp-test-{guest}",
            Accelerator = AcceleratorKind.Kvm,
            MemoryBytes = 16UL << 20,
            ProcessorCount = processors,
            InKernelDevices = inKernel,
            Boot = new LoadRequest(GuestImages.Get(guest), ImageFormat.Flat, CpuMode.Protected, 0x10000),
        });

    private static void WaitForOutput(VirtMachine machine, string text)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!machine.Output.ToString().Contains(text) && deadline.Elapsed < TimeSpan.FromSeconds(30) && machine.State == MachineState.Running)
        {
            Thread.Sleep(5);
        }
        Assert.True(machine.Output.ToString().Contains(text), $"no '{text}' yet: {machine.State} {machine.Reason}, output '{machine.Output}'");
    }

    [SkippableFact]
    public void TwoVcpusStartWithInitSipiSipiAndCountThemselves()
    {
        Requires.Kvm();
        using var machine = Build("smp", 2);
        Assert.Equal(2, machine.ProcessorCount);
        machine.Start();
        Assert.True(machine.WaitForExit(TimeSpan.FromSeconds(60)), $"smp did not finish: output so far '{machine.Output}'");
        output.WriteLine($"{machine.State}: {machine.Reason}; {machine.Uptime.TotalMilliseconds:F0} ms");
        Assert.True(machine.State == MachineState.Stopped, machine.Reason);
        Assert.Equal("smp: bsp apic 0, 2 cpus in the MP table\r\nap apic 1\r\nsmp: 2 cpus up\r\n", machine.Output.ToString());
        Assert.Equal(2u, machine.ExitCode);
    }

    [SkippableFact]
    public void FourVcpusEachPrintTheirApicIdOnce()
    {
        Requires.Kvm();
        using var machine = Build("smp", 4);
        machine.Start();
        Assert.True(machine.WaitForExit(TimeSpan.FromSeconds(60)), $"smp did not finish: output so far '{machine.Output}'");
        Assert.True(machine.State == MachineState.Stopped, machine.Reason);
        var lines = machine.Output.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        output.WriteLine(string.Join(" | ", lines));
        Assert.Equal("smp: bsp apic 0, 4 cpus in the MP table", lines[0]);
        Assert.Equal(new[] { "ap apic 1", "ap apic 2", "ap apic 3" }, lines[1..4].Order().ToArray());
        Assert.Equal("smp: 4 cpus up", lines[4]);
        Assert.Equal(4u, machine.ExitCode);
    }

    /// <summary>Before the guest runs: the BSP is runnable, the APs wait for INIT/SIPI, and each vCPU's CPUID carries its APIC id.</summary>
    [SkippableFact]
    public void ApsWaitForStartupIpisAndEachVcpuHasItsApicIdInCpuid()
    {
        Requires.Kvm();
        using var machine = Build("smp", 3);
        for (var k = 0; k < 3; k++)
        {
            var (state, cpuid) = machine.WithVcpu(v => (((KvmVcpu)v).MpState, ((KvmVcpu)v).GetCpuid()), k);
            Assert.Equal(k == 0 ? KvmMpState.Runnable : KvmMpState.Uninitialized, state);
            var leaf1 = KvmCpuid.Find(cpuid, 1)!.Value;
            Assert.Equal((uint)k, leaf1.Ebx >> 24);
            Assert.Equal(3u, (leaf1.Ebx >> 16) & 0xff);
            Assert.NotEqual(0u, leaf1.Edx & (1u << 28));
            // Leaf 0xB is there when the host CPU has it; every sub-leaf KVM lists then names the x2APIC id.
            if (KvmCpuid.Find(cpuid, 0xb) is { } topology)
            {
                Assert.Equal((uint)k, topology.Edx);
            }
        }
    }

    [SkippableFact]
    public void ForcedStopOfTwoSpinningVcpusEndsWithin100Milliseconds()
    {
        Requires.Kvm();
        using var machine = Build("smpspin", 2);
        machine.Start();
        WaitForOutput(machine, "smp: 2 cpus up\r\n");
        Thread.Sleep(50);
        Assert.Equal(MachineState.Running, machine.State);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        machine.Stop(force: true);
        watch.Stop();
        output.WriteLine($"forced stop of 2 spinning vCPUs: {watch.Elapsed.TotalMilliseconds:F1} ms");
        Assert.Equal(MachineState.Stopped, machine.State);
        Assert.True(watch.ElapsedMilliseconds < 100, $"forced stop took {watch.ElapsedMilliseconds} ms");
    }

    [SkippableFact]
    public void PauseParksEveryVcpuAndResumeRestartsThem()
    {
        Requires.Kvm();
        using var machine = Build("smpspin", 2);
        machine.Start();
        WaitForOutput(machine, "smp: 2 cpus up\r\n");
        for (var round = 0; round < 3; round++)
        {
            machine.Pause();
            Assert.Equal(MachineState.Paused, machine.State);
            var bsp = machine.ReadRegisters(0).Registers.Rip;
            var ap = machine.ReadRegisters(1).Registers.Rip;
            output.WriteLine($"round {round}: BSP RIP 0x{bsp:x}, AP RIP 0x{ap:x}");
            Assert.InRange(bsp, 0x10000UL, 0x10fffUL);      // the BSP's spin, in the first page
            Assert.InRange(ap, 0x11000UL, 0x11fffUL);       // the AP's spin, in the trampoline page
            machine.Resume();
            Assert.Equal(MachineState.Running, machine.State);
            Thread.Sleep(20);
        }
        machine.Stop(force: true);
        Assert.Equal(MachineState.Stopped, machine.State);
        var e = Assert.Throws<VirtToolsException>(() => machine.ReadRegisters(2));
        Assert.Equal("ProcessorNotFound", e.ErrorId);
    }

    [SkippableFact]
    public void FatalExitOnAnApEndsTheMachineCrashedNamingThatVcpu()
    {
        Requires.Kvm();
        using var machine = Build("smpcrash", 2);
        machine.Start();
        Assert.True(machine.WaitForExit(TimeSpan.FromSeconds(60)), $"smpcrash did not end: output so far '{machine.Output}'");
        var kind = KvmInfo.Probe().Kind;
        output.WriteLine($"KVM kind {kind}; {machine.State}: {machine.Reason}");
        Assert.Equal(MachineState.Crashed, machine.State);
        Assert.StartsWith("vCPU 1: ", machine.Reason);
        Assert.Contains("(RIP 0x110", machine.Reason);      // the AP's int3, in the trampoline page
        Assert.Contains("ap apic 1\r\n", machine.Output.ToString());
        if (kind == KvmKind.Pvm)
        {
            // kvm_pvm's emulator, which runs this protected-mode AP, cannot emulate INT3 (0xcc).
            Assert.Equal(VcpuExitReason.InternalError, machine.FatalExit?.Reason);
            Assert.Contains("emulation failure, instruction bytes cc", machine.Reason);
            return;
        }
        Assert.Equal(VcpuExitReason.Shutdown, machine.FatalExit?.Reason);
        Assert.Contains("triple-faulted", machine.Reason);
    }

    [SkippableFact]
    public void MoreThanOneVcpuWithoutTheInKernelIrqchipIsRefused()
    {
        Requires.Kvm();
        var e = Assert.Throws<VirtToolsException>(() => Build("smp", 2, inKernel: false));
        Assert.Equal("ProcessorCountNotSupported", e.ErrorId);
        Assert.Equal(VirtErrorKind.NotSupported, e.Kind);
        Assert.Contains("no local APIC model", e.Message);
    }

    [Fact]
    public void MoreThanOneVcpuOnTheEmulatorIsRefused()
    {
        var e = Assert.Throws<VirtToolsException>(() => VirtMachine.Create(new MachineConfig
        {
            Name = "smp-test-emulator",
            Accelerator = AcceleratorKind.Emulator,
            ProcessorCount = 2,
            Boot = new LoadRequest(GuestImages.Get("smp"), ImageFormat.Flat, CpuMode.Protected, 0x10000),
        }));
        Assert.Equal("ProcessorCountNotSupported", e.ErrorId);
        Assert.Contains("the emulator has no local APIC model", e.Message);
    }

    [SkippableTheory]
    [InlineData(0, "ProcessorCountInvalid")]
    [InlineData(-3, "ProcessorCountInvalid")]
    [InlineData(255, "ProcessorCountTooHigh")]
    [InlineData(100000, "ProcessorCountTooHigh")]
    public void ProcessorCountsOutOfRangeAreRefused(int count, string errorId)
    {
        Requires.Kvm();
        var e = Assert.Throws<VirtToolsException>(() => Build("smp", count));
        output.WriteLine(e.Message);
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(VirtErrorKind.InvalidArgument, e.Kind);
    }
}
