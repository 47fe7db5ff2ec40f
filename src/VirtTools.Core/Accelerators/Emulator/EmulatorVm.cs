using VirtTools.Diagnostics;
using VirtTools.Machine;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// A machine on the emulator: the RAM region at guest address 0 is what the CPU addresses directly;
/// there are no in-kernel devices, so the machine puts its own PIC and PIT on the port bus.
/// </summary>
public sealed class EmulatorVm : IVirtualMachine
{
    private readonly List<MemoryRegion> regions = new();

    public EmulatorVm(VmOptions options)
    {
        if (options.ProcessorCount != 1)
        {
            throw new VirtToolsException("EmulatorSingleCpu", VirtErrorKind.NotSupported,
                $"the emulator runs one vCPU; {options.ProcessorCount} were requested", options.ProcessorCount);
        }
    }

    public bool HasInKernelIrqchip => false;

    public bool HasInKernelPit => false;

    public void MapMemory(MemoryRegion region) => regions.Add(region);

    public void CreateInKernelDevices()
    {
    }

    public void SetIrqLine(int irq, bool level) =>
        throw new VirtToolsException("NoInKernelIrqchip", VirtErrorKind.InvalidOperation,
            "the emulator has no in-kernel interrupt controller; the machine's PIC handles IRQ lines", irq);

    public IVirtualCpu CreateVcpu(int index)
    {
        var low = regions.FirstOrDefault(r => r.GuestAddress == 0)
            ?? throw new VirtToolsException("EmulatorNoLowMemory", VirtErrorKind.InvalidOperation,
                "map a RAM region at guest address 0 before creating the emulator's vCPU", index);
        return new EmulatorVcpu(index, low);
    }

    public void Dispose()
    {
    }
}
