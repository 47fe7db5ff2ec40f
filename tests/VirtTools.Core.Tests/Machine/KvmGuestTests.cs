using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Machine;

/// <summary>The test guests in tests/guests, run to completion under KVM on this host.</summary>
public sealed class KvmGuestTests
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
        Assert.Equal(MachineState.Stopped, machine.State);
        Assert.Equal("long mode\r\ntick tick tick \r\n", machine.Output.ToString());
        Assert.Equal(0x40u, machine.ExitCode);
        Assert.Equal(inKernelDevices, machine.InKernelDevices);
    }
}
