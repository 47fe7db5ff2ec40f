using VirtTools.Host;
using VirtTools.Machine;
using VirtTools.Machine.Loaders;
using VirtTools.Tests.Support;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>
/// The machine's test guests (tests/guests) on the emulator: same serial output and exit code as
/// the expected transcript, and, where /dev/kvm exists, as the same guest under KVM.
/// </summary>
public sealed class EmulatorGuestTests
{
    private static VirtMachine RunToEnd(string guest, CpuMode mode, ulong loadAddress, AcceleratorKind kind)
    {
        var machine = VirtMachine.Create(new MachineConfig
        {
            Name = guest + "-" + kind,
            Accelerator = kind,
            MemoryBytes = 16UL << 20,
            InKernelDevices = false,
            Boot = new LoadRequest(GuestImages.Get(guest), ImageFormat.Flat, mode, loadAddress),
        });
        machine.Start();
        Assert.True(machine.WaitForExit(TimeSpan.FromSeconds(30)), $"{guest} did not finish on {kind}: output so far '{machine.Output}'");
        return machine;
    }

    [Fact]
    public void LongModeGuestRunsOnTheEmulator()
    {
        using var machine = RunToEnd("long", CpuMode.Long, 0x100000, AcceleratorKind.Emulator);
        Assert.Equal(AcceleratorKind.Emulator, machine.AcceleratorKind);
        Assert.Equal("long mode\r\ntick tick tick \r\n", machine.Output.ToString());
        Assert.Equal(0x40u, machine.ExitCode);
        Assert.Equal(MachineState.Stopped, machine.State);
        Assert.True(machine.InstructionsRetired > 0);
    }

    [SkippableTheory]
    [InlineData("long", CpuMode.Long, 0x100000UL)]
    public void EmulatorAndKvmAgree(string guest, CpuMode mode, ulong loadAddress)
    {
        Requires.Kvm();
        using var emu = RunToEnd(guest, mode, loadAddress, AcceleratorKind.Emulator);
        using var kvm = RunToEnd(guest, mode, loadAddress, AcceleratorKind.Kvm);
        Assert.Equal(kvm.Output.ToString(), emu.Output.ToString());
        Assert.Equal(kvm.ExitCode, emu.ExitCode);
        Assert.Equal(kvm.State, emu.State);
    }
}
