using System.Runtime.InteropServices;
using VirtTools.Diagnostics;
using VirtTools.Interop;
using VirtTools.Machine;

namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// A KVM VM fd: memory slots, the in-kernel irqchip and PIT, vCPUs. Owns the VM fd only; guest memory
/// stays with the machine's <see cref="GuestMemory"/> and vCPUs are disposed by whoever created them
/// (before this VM).
/// </summary>
internal sealed unsafe class KvmVm : IVirtualMachine
{
    private const uint KvmPitSpeakerDummy = 1;

    private readonly KvmAccelerator kvm;
    private readonly VmOptions options;
    private readonly FileDescriptor vm;

    public KvmVm(KvmAccelerator kvm, VmOptions options)
    {
        this.kvm = kvm;
        this.options = options;
        CheckProcessorCount(kvm, options.ProcessorCount);
        vm = kvm.System.CreateVm();
        try
        {
            // Real mode on VMX needs a TSS and an identity-map page KVM can own; PVM and SVM ignore them.
            Check(KvmNative.Ioctl(vm.Fd, KvmIoctl.SetTssAddr, (nuint)MachineLayout.KvmTss), "KVM_SET_TSS_ADDR");
            var identity = MachineLayout.KvmIdentityMap;
            Check(KvmNative.Ioctl(vm.Fd, KvmIoctl.SetIdentityMapAddr, &identity), "KVM_SET_IDENTITY_MAP_ADDR");
        }
        catch
        {
            vm.Dispose();
            throw;
        }
    }

    internal int Fd => vm.Fd;

    internal int ProcessorCount => options.ProcessorCount;

    /// <summary>
    /// The host's KVM_CAP_MAX_VCPUS, and 254: the MP table and the xAPIC give a processor an 8-bit id,
    /// 0xff is the broadcast id, and the IOAPIC takes the id after the last processor.
    /// </summary>
    internal static int MaxProcessors(KvmAccelerator kvm) => Math.Min(kvm.MaxVcpus, 254);

    private static void CheckProcessorCount(KvmAccelerator kvm, int count)
    {
        var max = MaxProcessors(kvm);
        if (count > max)
        {
            throw new VirtToolsException("ProcessorCountTooHigh", VirtErrorKind.InvalidArgument,
                $"KVM on this host allows at most {max} vCPUs per machine (KVM_CAP_MAX_VCPUS {kvm.MaxVcpus}, 8-bit APIC ids); asked for {count}", count);
        }
    }

    public bool HasInKernelIrqchip { get; private set; }

    public bool HasInKernelPit { get; private set; }

    public void MapMemory(MemoryRegion region)
    {
        var slot = new UserspaceMemoryRegion
        {
            Slot = (uint)region.Slot,
            GuestPhysAddr = region.GuestAddress,
            MemorySize = region.Size,
            UserspaceAddr = (ulong)region.HostAddress,
        };
        Check(KvmNative.Ioctl(vm.Fd, KvmIoctl.SetUserMemoryRegion, &slot), $"KVM_SET_USER_MEMORY_REGION slot {region.Slot} at 0x{region.GuestAddress:x}");
    }

    public void CreateInKernelDevices()
    {
        if (!options.InKernelDevices || !kvm.HasIrqchip)
        {
            return;
        }
        Check(KvmNative.Ioctl(vm.Fd, KvmIoctl.CreateIrqchip, 0), "KVM_CREATE_IRQCHIP");
        HasInKernelIrqchip = true;
        if (kvm.HasPit2)
        {
            // The speaker port (0x61) stays with the VMM: its PIT channel 2 gate is all a guest uses it for.
            var config = stackalloc uint[16];
            config[0] = KvmPitSpeakerDummy;
            Check(KvmNative.Ioctl(vm.Fd, KvmIoctl.CreatePit2, config), "KVM_CREATE_PIT2");
            HasInKernelPit = true;
        }
    }

    public void SetIrqLine(int irq, bool level)
    {
        var line = stackalloc uint[2];
        line[0] = (uint)irq;
        line[1] = level ? 1u : 0u;
        Check(KvmNative.Ioctl(vm.Fd, KvmIoctl.IrqLine, line), $"KVM_IRQ_LINE {irq}");
    }

    public IVirtualCpu CreateVcpu(int index) => new KvmVcpu(kvm, this, index);

    public void Dispose() => vm.Dispose();

    private static void Check(int result, string step)
    {
        if (result < 0)
        {
            throw Errno.Failure(step, Errno.Last, "KvmIoctlFailed");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct UserspaceMemoryRegion
    {
        public uint Slot;
        public uint Flags;
        public ulong GuestPhysAddr;
        public ulong MemorySize;
        public ulong UserspaceAddr;
    }
}
