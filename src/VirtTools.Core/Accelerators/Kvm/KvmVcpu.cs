using System.Runtime.InteropServices;
using Tmds.Linux;
using VirtTools.Diagnostics;
using VirtTools.Interop;

namespace VirtTools.Accelerators.Kvm;

/// <summary>
/// A KVM vCPU fd and its mmap'ed <c>struct kvm_run</c>. <see cref="Run"/> enters the guest once and
/// turns the exit into a <see cref="VcpuExit"/>, completing port and MMIO accesses through the handler.
/// <see cref="RequestExit"/> sets immediate_exit and sends the vCPU thread a kick signal that the thread
/// keeps blocked outside KVM_RUN (see <see cref="ThreadSignal"/>), so a spinning guest leaves promptly.
/// </summary>
internal sealed unsafe class KvmVcpu : IVirtualCpu
{
    private const int InternalEmulation = 1;
    private const int ApicLvt0 = 0x350, ApicLvt1 = 0x360;
    private const uint ApicModeNmi = 0x4, ApicModeExtInt = 0x7;

    private readonly FileDescriptor fd;
    private readonly byte* run;
    private readonly int mmapSize;
    private readonly object kickLock = new();
    private nuint thread;
    private bool threadReady;
    private bool disposed;

    public KvmVcpu(KvmAccelerator kvm, KvmVm vm, int index)
    {
        Index = index;
        var raw = KvmNative.Ioctl(vm.Fd, KvmIoctl.CreateVcpu, (nuint)index);
        if (raw < 0)
        {
            throw Errno.Failure($"KVM_CREATE_VCPU {index}", Errno.Last, "KvmCreateVcpuFailed", index);
        }
        fd = new FileDescriptor(raw);
        mmapSize = kvm.VcpuMmapSize;
        var mapped = LibC.mmap(null, (size_t)mmapSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd.Fd, 0);
        if (mapped == (void*)-1)
        {
            var errno = Errno.Last;
            fd.Dispose();
            throw Errno.Failure($"mmap kvm_run of vCPU {index}", errno, "KvmCreateVcpuFailed", index);
        }
        run = (byte*)mapped;
        try
        {
            // CPUID before MSRs (Firecracker's order): MSR validity depends on the CPUID the guest sees.
            fixed (byte* cpuid = KvmCpuid.ForVcpu(kvm.SupportedCpuid, index, vm.ProcessorCount))
            {
                Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.SetCpuid2, cpuid), "KVM_SET_CPUID2");
            }
            if (vm.HasInKernelIrqchip && index == 0)
            {
                ConfigureLapic();
            }
            else if (vm.HasInKernelIrqchip)
            {
                AwaitStartupIpi();
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Index { get; }

    public ulong? InstructionsRetired => null;

    public VcpuExit Run(IVcpuExitHandler handler)
    {
        lastSregs = null;
        if (!threadReady)
        {
            PrepareThread();
        }
        var interrupts = handler.Interrupts;
        if (interrupts is not null)
        {
            InjectPending(interrupts);
        }
        if (KvmNative.Ioctl(fd.Fd, KvmIoctl.Run, 0) < 0)
        {
            var errno = Errno.Last;
            if (errno is Errno.EINTR or Errno.EAGAIN)
            {
                ThreadSignal.Drain();
                Volatile.Write(ref run[KvmRunLayout.ImmediateExit], 0);
                return new VcpuExit(VcpuExitReason.Interrupted);
            }
            throw Errno.Failure($"KVM_RUN on vCPU {Index}", errno, "KvmRunFailed", Index);
        }
        return Decode(handler);
    }

    public void RequestExit()
    {
        lock (kickLock)
        {
            if (disposed)
            {
                return;
            }
            Volatile.Write(ref run[KvmRunLayout.ImmediateExit], 1);
            if (threadReady)
            {
                ThreadSignal.Send(thread);
            }
        }
    }

    public Registers GetRegisters()
    {
        Registers registers;
        Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.GetRegs, &registers), "KVM_GET_REGS");
        return registers;
    }

    public void SetRegisters(in Registers registers)
    {
        fixed (Registers* p = &registers)
        {
            Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.SetRegs, p), "KVM_SET_REGS");
        }
    }

    public SpecialRegisters GetSpecialRegisters()
    {
        var sregs = ReadSregs();
        lastSregs = sregs;
        return sregs.Registers;
    }

    public void SetSpecialRegisters(in SpecialRegisters registers)
    {
        // The pending-interrupt bitmap KVM keeps in the same structure must survive: from the last
        // read when nothing could have changed it since (a loader reads, edits and writes back at
        // once, on a machine's way to its first guest instruction), else read again.
        var sregs = lastSregs ?? ReadSregs();
        sregs.Registers = registers;
        Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.SetSregs, &sregs), "KVM_SET_SREGS");
        lastSregs = sregs;
    }

    private KvmSregs ReadSregs()
    {
        KvmSregs sregs;
        Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.GetSregs, &sregs), "KVM_GET_SREGS");
        return sregs;
    }

    /// <summary>
    /// The special registers as last read or written, while nothing else can have changed them: cleared
    /// by KVM_RUN (the guest, interrupt injection) and KVM_SET_MSRS (EFER and APIC_BASE live in both).
    /// </summary>
    private KvmSregs? lastSregs;

    public void SetMsrs(ReadOnlySpan<MsrEntry> msrs)
    {
        lastSregs = null;
        var buffer = new byte[8 + msrs.Length * 16];
        fixed (byte* p = buffer)
        {
            *(uint*)p = (uint)msrs.Length;
            for (var i = 0; i < msrs.Length; i++)
            {
                *(uint*)(p + 8 + i * 16) = msrs[i].Index;
                *(ulong*)(p + 8 + i * 16 + 8) = msrs[i].Value;
            }
            // KVM_SET_MSRS returns how many it set; stopping short names the first one refused.
            var set = KvmNative.Ioctl(fd.Fd, KvmIoctl.SetMsrs, p);
            if (set < 0)
            {
                throw Errno.Failure("KVM_SET_MSRS", Errno.Last, "KvmIoctlFailed");
            }
            if (set < msrs.Length)
            {
                throw new VirtToolsException("KvmMsrRefused", VirtErrorKind.DeviceError,
                    $"KVM_SET_MSRS: MSR 0x{msrs[set].Index:x} was refused", msrs[set].Index);
            }
        }
    }

    private void PrepareThread()
    {
        var mask = ThreadSignal.BlockOnCurrentThread();
        // struct kvm_signal_mask { __u32 len; __u8 sigset[]; }: the kernel's sigset is 8 bytes.
        var buffer = stackalloc byte[16];
        *(uint*)buffer = 8;
        *(ulong*)(buffer + 4) = mask & ~(1UL << (ThreadSignal.Kick - 1));
        Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.SetSignalMask, buffer), "KVM_SET_SIGNAL_MASK");
        lock (kickLock)
        {
            thread = ThreadSignal.CurrentThread();
            threadReady = true;
        }
    }

    private void InjectPending(IInterruptAcknowledge interrupts)
    {
        if (!interrupts.HasPending)
        {
            run[KvmRunLayout.RequestInterruptWindow] = 0;
            return;
        }
        if (run[KvmRunLayout.ReadyForInterruptInjection] != 0 && run[KvmRunLayout.IfFlag] != 0)
        {
            var vector = (uint)interrupts.Acknowledge();
            Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.Interrupt, &vector), "KVM_INTERRUPT");
            run[KvmRunLayout.RequestInterruptWindow] = interrupts.HasPending ? (byte)1 : (byte)0;
            return;
        }
        // The guest cannot take it yet (IF clear, or in an interrupt shadow): ask KVM to exit when it can.
        run[KvmRunLayout.RequestInterruptWindow] = 1;
    }

    private VcpuExit Decode(IVcpuExitHandler handler)
    {
        var reason = (KvmExitReason)(*(uint*)(run + KvmRunLayout.ExitReason));
        switch (reason)
        {
            case KvmExitReason.Io:
                return CompletePortIo(handler);
            case KvmExitReason.Mmio:
                return CompleteMmio(handler);
            case KvmExitReason.Hlt:
                return new VcpuExit(VcpuExitReason.Halt);
            case KvmExitReason.IrqWindowOpen:
                return new VcpuExit(VcpuExitReason.InterruptWindow);
            case KvmExitReason.Intr:
                return new VcpuExit(VcpuExitReason.Interrupted);
            case KvmExitReason.Debug:
                return new VcpuExit(VcpuExitReason.Debug);
            case KvmExitReason.Shutdown:
                return new VcpuExit(VcpuExitReason.Shutdown, Detail: "KVM_EXIT_SHUTDOWN: the guest triple-faulted (or shut down the CPU)");
            case KvmExitReason.FailEntry:
                var hardware = *(ulong*)(run + KvmRunLayout.FailEntryReason);
                return new VcpuExit(VcpuExitReason.FailEntry, Detail: $"KVM_EXIT_FAIL_ENTRY: hardware entry failure reason 0x{hardware:x}",
                    Data: [hardware]);
            case KvmExitReason.InternalError:
                return InternalError();
            case KvmExitReason.SystemEvent:
                var type = *(uint*)(run + KvmRunLayout.InternalSuberror);
                var name = type switch { 1 => "shutdown", 2 => "reset", 3 => "crash", _ => $"type {type}" };
                return new VcpuExit(VcpuExitReason.SystemEvent, Detail: $"KVM_EXIT_SYSTEM_EVENT: {name}", Data: ReadData());
            default:
                var raw = *(ulong*)(run + KvmRunLayout.HardwareExitReason);
                return new VcpuExit(VcpuExitReason.Unknown, Detail: $"KVM exit reason {(uint)reason} (hardware exit reason 0x{raw:x})");
        }
    }

    private VcpuExit CompletePortIo(IVcpuExitHandler handler)
    {
        var port = *(ushort*)(run + KvmRunLayout.IoPort);
        var size = run[KvmRunLayout.IoSize];
        var count = *(uint*)(run + KvmRunLayout.IoCount);
        var data = run + *(ulong*)(run + KvmRunLayout.IoDataOffset);
        var isWrite = run[KvmRunLayout.IoDirection] == 1;
        // INS/OUTS with REP arrive as one exit with count elements back to back.
        for (var i = 0u; i < count; i++, data += size)
        {
            if (isWrite)
            {
                handler.PortWrite(port, new ReadOnlySpan<byte>(data, size));
            }
            else
            {
                handler.PortRead(port, new Span<byte>(data, size));
            }
        }
        return new VcpuExit(VcpuExitReason.PortIo, port);
    }

    private VcpuExit CompleteMmio(IVcpuExitHandler handler)
    {
        var address = *(ulong*)(run + KvmRunLayout.MmioPhysAddr);
        var length = (int)Math.Min(8u, *(uint*)(run + KvmRunLayout.MmioLen));
        var data = new Span<byte>(run + KvmRunLayout.MmioData, length);
        if (run[KvmRunLayout.MmioIsWrite] != 0)
        {
            handler.MmioWrite(address, data);
        }
        else
        {
            handler.MmioRead(address, data);
        }
        return new VcpuExit(VcpuExitReason.Mmio, address);
    }

    private VcpuExit InternalError()
    {
        var suberror = *(uint*)(run + KvmRunLayout.InternalSuberror);
        var data = ReadData();
        var name = suberror switch
        {
            1 => "emulation failure",
            2 => "exception while delivering an event",
            3 => "event delivery failed",
            4 => "unexpected exit reason",
            _ => $"suberror {suberror}",
        };
        var detail = $"KVM_EXIT_INTERNAL_ERROR: {name}";
        // Emulation failures carry flags in data[0]; bit 0 means data[1..] holds insn_size and the bytes.
        if (suberror == InternalEmulation && data.Length >= 3 && (data[0] & 1) != 0)
        {
            var bytes = new ReadOnlySpan<byte>(run + KvmRunLayout.InternalData + 8, 16);
            var length = Math.Min((int)bytes[0], 15);
            detail += $", instruction bytes {Convert.ToHexString(bytes.Slice(1, length)).ToLowerInvariant()}";
        }
        if (data.Length > 0)
        {
            detail += $", data {string.Join(' ', data.Select(d => $"0x{d:x}"))}";
        }
        return new VcpuExit(VcpuExitReason.InternalError, Detail: detail, Data: data);
    }

    private ulong[] ReadData()
    {
        var count = Math.Min(16u, *(uint*)(run + KvmRunLayout.InternalNdata));
        return new ReadOnlySpan<ulong>(run + KvmRunLayout.InternalData, (int)count).ToArray();
    }

    /// <summary>
    /// Application processors start parked in the in-kernel LAPIC's wait-for-SIPI state, as on a real
    /// board: the guest's BSP wakes them with INIT-SIPI-SIPI. KVM already does this for every vCPU but
    /// the reset BSP (id 0) when the irqchip exists before the vCPU; checked, and set if a kernel did not.
    /// </summary>
    private void AwaitStartupIpi()
    {
        if (MpState is KvmMpState.Uninitialized or KvmMpState.InitReceived)
        {
            return;
        }
        var state = (uint)KvmMpState.Uninitialized;
        Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.SetMpState, &state), "KVM_SET_MP_STATE");
    }

    /// <summary>KVM_GET_MP_STATE: whether this vCPU runs, waits for a SIPI, or is halted in the kernel.</summary>
    internal KvmMpState MpState
    {
        get
        {
            uint state;
            Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.GetMpState, &state), "KVM_GET_MP_STATE");
            return (KvmMpState)state;
        }
    }

    /// <summary>KVM_GET_CPUID2: the table this vCPU was given (the tests read the APIC ids back).</summary>
    internal byte[] GetCpuid()
    {
        var buffer = new byte[8 + 1024 * 40];
        fixed (byte* p = buffer)
        {
            *(uint*)p = 1024;
            Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.GetCpuid2, p), "KVM_GET_CPUID2");
            return buffer[..(8 + (int)*(uint*)p * 40)];
        }
    }

    private void ConfigureLapic()
    {
        // Virtual-wire mode on the BSP, as a BIOS leaves it (and as the MP table's local interrupt entries
        // say): LINT0 carries the 8259's INTR (ExtINT), LINT1 NMI. APs keep their reset LVTs (masked).
        var lapic = stackalloc byte[1024];
        Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.GetLapic, lapic), "KVM_GET_LAPIC");
        *(uint*)(lapic + ApicLvt0) = (*(uint*)(lapic + ApicLvt0) & ~0x700u) | (ApicModeExtInt << 8);
        *(uint*)(lapic + ApicLvt1) = (*(uint*)(lapic + ApicLvt1) & ~0x700u) | (ApicModeNmi << 8);
        Check(KvmNative.Ioctl(fd.Fd, KvmIoctl.SetLapic, lapic), "KVM_SET_LAPIC");
    }

    private void Check(int result, string step)
    {
        if (result < 0)
        {
            throw Errno.Failure($"{step} on vCPU {Index}", Errno.Last, "KvmIoctlFailed", Index);
        }
    }

    public void Dispose()
    {
        lock (kickLock)
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
        }
        LibC.munmap(run, (size_t)mmapSize);
        fd.Dispose();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct KvmSregs
    {
        public SpecialRegisters Registers;
        public fixed ulong InterruptBitmap[4];
    }
}
