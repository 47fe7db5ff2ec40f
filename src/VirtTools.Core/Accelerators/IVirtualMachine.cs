using VirtTools.Machine;

namespace VirtTools.Accelerators;

/// <summary>
/// One guest as the accelerator sees it: memory slots, in-kernel devices, vCPUs. The order of calls
/// is fixed: <see cref="MapMemory"/> for every region, then <see cref="CreateInKernelDevices"/> (on KVM,
/// creating the irqchip after the memory is mapped is ten times faster), then <see cref="CreateVcpu"/>.
/// </summary>
public interface IVirtualMachine : IDisposable
{
    /// <summary>Makes <paramref name="region"/> guest RAM at its guest address. The host memory stays owned by the caller.</summary>
    void MapMemory(MemoryRegion region);

    /// <summary>
    /// Creates the interrupt controller and timer inside the accelerator when <see cref="VmOptions.InKernelDevices"/>
    /// asked for them and the accelerator has them; afterwards <see cref="HasInKernelIrqchip"/> tells which.
    /// </summary>
    void CreateInKernelDevices();

    /// <summary>True when interrupts go through the accelerator's own controller (<see cref="SetIrqLine"/>).</summary>
    bool HasInKernelIrqchip { get; }

    /// <summary>True when the accelerator also models the 8254 PIT on ports 0x40-0x43.</summary>
    bool HasInKernelPit { get; }

    /// <summary>Drives ISA interrupt line <paramref name="irq"/> of the in-kernel controller.</summary>
    void SetIrqLine(int irq, bool level);

    IVirtualCpu CreateVcpu(int index);
}
