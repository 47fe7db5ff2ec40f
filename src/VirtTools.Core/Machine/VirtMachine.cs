using System.Diagnostics;
using Serilog;
using VirtTools.Accelerators;
using VirtTools.Diagnostics;
using VirtTools.Machine.Devices;
using VirtTools.Machine.Loaders;

namespace VirtTools.Machine;

/// <summary>
/// One machine: guest memory, the port and MMIO buses with their devices, an accelerator VM and its
/// vCPU, and the vCPU loop. Built by <see cref="Create"/> as a recipe of independent steps (open the
/// accelerator, map memory, in-kernel devices, user-space devices, load the image, create the vCPU).
/// The loop is an explicit state machine (Running / Paused / final) driven from any thread through
/// <see cref="Pause"/>, <see cref="Resume"/> and <see cref="Stop"/>. Lock order: <c>sync</c> (this
/// machine's state) may be taken before a device's or the PIC's lock, never after one.
/// </summary>
public sealed class VirtMachine : IVcpuExitHandler, IMachineControl, IDisposable
{
    /// <summary>How long a graceful <see cref="Stop"/> waits for the guest to reach its next exit.</summary>
    public static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(5);

    private static readonly ILogger log = VirtLog.For<VirtMachine>();

    private readonly object sync = new();
    private readonly List<IDisposable> owned = [];
    private readonly Stopwatch clock = new();
    /// <summary>Runs from the start of <see cref="Create"/> to the first exit.</summary>
    private readonly Stopwatch sinceCreate = Stopwatch.StartNew();
    private IAccelerator accelerator = null!;
    private IVirtualMachine vm = null!;
    private IVirtualCpu vcpu = null!;
    private Uart16550 uart = null!;
    private PicPair? pic;
    private Thread? thread;
    private MachineState state = MachineState.Created;
    /// <summary>What the host or the guest asked the loop to do at its next turn.</summary>
    private Request request;
    private string? stopReason;
    private bool disposed;

    private enum Request { None, Pause, Stop }

    private VirtMachine(MachineConfig config)
    {
        Config = config;
        Id = Guid.NewGuid();
    }

    public MachineConfig Config { get; }

    public string Name => Config.Name;

    public Guid Id { get; }

    public GuestMemory Memory { get; private set; } = null!;

    public IoBus PortBus { get; } = new(BusKind.Port);

    public IoBus MmioBus { get; } = new(BusKind.Mmio);

    public MachineOutput Output { get; } = new();

    public ExitStatistics Exits { get; } = new();

    /// <summary>"KVM (kvm_pvm)", "Emulator", ...</summary>
    public string AcceleratorDescription => accelerator.Description;

    public Host.AcceleratorKind AcceleratorKind => accelerator.Kind;

    /// <summary>True when the interrupt controller and PIT live in the accelerator.</summary>
    public bool InKernelDevices => vm.HasInKernelIrqchip;

    public MachineState State
    {
        get
        {
            lock (sync)
            {
                return state;
            }
        }
    }

    /// <summary>The value the guest wrote to the debug-exit port, if it did.</summary>
    public uint? ExitCode { get; private set; }

    /// <summary>Why the machine stopped or crashed, in words (with the accelerator's exit data for crashes).</summary>
    public string? Reason { get; private set; }

    /// <summary>The fatal exit, when the machine crashed on one.</summary>
    public VcpuExit? FatalExit { get; private set; }

    /// <summary>Time since <see cref="Start"/>, frozen when the machine ends.</summary>
    public TimeSpan Uptime => clock.Elapsed;

    public DateTime? StartTime { get; private set; }

    /// <summary>
    /// From the start of <see cref="Create"/> to the vCPU's first exit: with a guest whose first
    /// instruction exits (an OUT), the cost of building a machine up to its first guest instruction.
    /// </summary>
    public TimeSpan? TimeToFirstExit { get; private set; }

    /// <summary>Port accesses no device claimed (ignored: reads return 0xff).</summary>
    public long UnhandledPortAccesses => PortBus.UnhandledReads + PortBus.UnhandledWrites;

    public long UnhandledMmioAccesses => MmioBus.UnhandledReads + MmioBus.UnhandledWrites;

    public ulong? InstructionsRetired => vcpu.InstructionsRetired;

    /// <summary>The kernel id of the thread running the vCPU once it started (its CPU time is the machine's, in /proc/self/task).</summary>
    public int? VcpuThreadId { get; private set; }

    /// <summary>Raised once, on the vCPU thread, when the machine reaches Stopped or Crashed.</summary>
    public event Action<VirtMachine>? Ended;

    public IInterruptAcknowledge? Interrupts => pic;

    /// <summary>Builds a machine ready to start; on failure everything created so far is released.</summary>
    public static VirtMachine Create(MachineConfig config)
    {
        if (config.ProcessorCount != 1)
        {
            throw new VirtToolsException("ProcessorCountNotSupported", VirtErrorKind.NotSupported,
                $"machines have one vCPU for now (asked for {config.ProcessorCount})", config.ProcessorCount);
        }
        var machine = new VirtMachine(config);
        try
        {
            machine.OpenAccelerator();
            machine.MapMemory();
            machine.vm.CreateInKernelDevices();
            machine.AttachDevices();
            machine.CreateVcpu();
            log.Information("Machine {Name} created on {Accelerator} ({Memory} MiB, in-kernel devices {InKernel})",
                config.Name, machine.accelerator.Description, config.MemoryBytes >> 20, machine.vm.HasInKernelIrqchip);
            return machine;
        }
        catch
        {
            machine.Dispose();
            throw;
        }
    }

    private void OpenAccelerator()
    {
        accelerator = AcceleratorFactory.Open(Config.Accelerator);
        owned.Add(accelerator);
        vm = accelerator.CreateVm(new VmOptions(Config.ProcessorCount, Config.InKernelDevices));
        owned.Add(vm);
    }

    private void MapMemory()
    {
        if (Config.MemoryBytes < 2UL << 20 || Config.MemoryBytes % MachineLayout.PageSize != 0)
        {
            throw new VirtToolsException("MemorySizeInvalid", VirtErrorKind.InvalidArgument,
                $"memory must be at least 2 MiB and a multiple of 4 KiB (got {Config.MemoryBytes} bytes)", Config.MemoryBytes);
        }
        Memory = GuestMemory.Create(Config.MemoryBytes);
        owned.Add(Memory);
        foreach (var region in Memory.Regions)
        {
            vm.MapMemory(region);
        }
    }

    private void AttachDevices()
    {
        if (!vm.HasInKernelIrqchip)
        {
            pic = new PicPair();
            pic.Raised += OnInterruptRaised;
            PortBus.Insert(pic.Master, MachineLayout.PicMaster, Pic8259.Length);
            PortBus.Insert(pic.Slave, MachineLayout.PicSlave, Pic8259.Length);
        }
        if (!vm.HasInKernelPit)
        {
            var pit = new Pit8254(Line(MachineLayout.PitIrq));
            owned.Add(pit);
            PortBus.Insert(pit, MachineLayout.Pit, Pit8254.Length);
        }
        uart = new Uart16550(Output.Append, Line(MachineLayout.Com1Irq));
        PortBus.Insert(uart, MachineLayout.Com1, Uart16550.Length);
        PortBus.Insert(new I8042(() => RequestStop("the guest pulled the reset line (i8042)")), MachineLayout.I8042, I8042.Length);
        PortBus.Insert(new CmosRtc(Config.MemoryBytes), MachineLayout.Cmos, CmosRtc.Length);
        PortBus.Insert(new DebugExit(OnDebugExit), MachineLayout.DebugExit, DebugExit.Length);
    }

    private void CreateVcpu()
    {
        vcpu = vm.CreateVcpu(0);
        owned.Add(vcpu);
        ImageLoader.Load(Memory, vcpu.GetSpecialRegisters(), Config.Boot).Apply(vcpu);
    }

    private IInterruptLine Line(int irq) => pic is null ? new AcceleratorLine(vm, irq) : pic.Line(irq);

    /// <summary>Starts the vCPU thread.</summary>
    public void Start()
    {
        lock (sync)
        {
            EnterRunning();
            thread = new Thread(RunLoop) { IsBackground = true, Name = $"vcpu0:{Name}" };
            thread.Start();
        }
    }

    /// <summary>
    /// Runs the vCPU loop on the calling thread until the machine ends (one-shot runs: the caller would
    /// only wait anyway, and the guest's first instruction does not wait for a new thread to be
    /// scheduled). Pause, resume and stop work from other threads as with <see cref="Start"/>.
    /// </summary>
    public void RunOnCurrentThread()
    {
        lock (sync)
        {
            EnterRunning();
            thread = Thread.CurrentThread;
        }
        RunLoop();
    }

    /// <summary>Created -> Running, for both ways of starting; the caller holds <c>sync</c>.</summary>
    private void EnterRunning()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (state != MachineState.Created)
        {
            throw new VirtToolsException("MachineNotStartable", VirtErrorKind.InvalidOperation,
                $"machine '{Name}' is {state}; only a Created machine can start", Name);
        }
        state = MachineState.Running;
        StartTime = DateTime.UtcNow;
        clock.Start();
    }

    /// <summary>Stops the guest at its next exit (kicking it out of the guest at once) and waits until it is Paused.</summary>
    public void Pause()
    {
        lock (sync)
        {
            if (state != MachineState.Running)
            {
                throw NotIn(MachineState.Running, "pause");
            }
            request = Request.Pause;
            vcpu.RequestExit();
            while (state == MachineState.Running)
            {
                Monitor.Wait(sync);
            }
        }
    }

    public void Resume()
    {
        lock (sync)
        {
            if (state != MachineState.Paused)
            {
                throw NotIn(MachineState.Paused, "resume");
            }
            request = Request.None;
            Monitor.PulseAll(sync);
            while (state == MachineState.Paused)
            {
                Monitor.Wait(sync);
            }
        }
    }

    /// <summary>
    /// Ends the machine. Graceful (the default) lets the guest run to its next exit and waits up to
    /// <see cref="GracefulStopTimeout"/>: a guest that spins without exits is not interrupted, and the
    /// call fails with <c>MachineStopTimeout</c>. <paramref name="force"/> kicks the vCPU out of the guest
    /// at once (immediate exit and a signal), so even a spinning guest stops within milliseconds.
    /// </summary>
    public void Stop(bool force)
    {
        lock (sync)
        {
            if (state == MachineState.Created)
            {
                Finish(MachineState.Stopped, "stopped before it was started");
                return;
            }
            if (IsFinal(state))
            {
                return;
            }
            request = Request.Stop;
            stopReason ??= force ? "stopped by the host (forced)" : "stopped by the host";
            Monitor.PulseAll(sync);
            if (force)
            {
                vcpu.RequestExit();
            }
            var deadline = Stopwatch.StartNew();
            while (!IsFinal(state))
            {
                var left = GracefulStopTimeout - deadline.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    throw new VirtToolsException("MachineStopTimeout", VirtErrorKind.Timeout,
                        $"machine '{Name}' did not reach an exit within {GracefulStopTimeout.TotalSeconds} s; stop it with -Force", Name);
                }
                Monitor.Wait(sync, left);
            }
        }
    }

    /// <summary>Waits until the machine has stopped or crashed; false when <paramref name="timeout"/> ran out first.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        lock (sync)
        {
            while (!IsFinal(state))
            {
                var left = timeout - deadline.Elapsed;
                if (timeout != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                {
                    return false;
                }
                Monitor.Wait(sync, timeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : left);
            }
            return true;
        }
    }

    /// <summary>Feeds console input to COM1.</summary>
    VirtMachineInfo IMachineControl.Info() => VirtMachineInfo.From(this);

    public void SendInput(ReadOnlySpan<byte> input) => uart.Enqueue(input);

    /// <summary>The vCPU's registers; a running machine is paused for the read and resumed.</summary>
    public (Registers Registers, SpecialRegisters Special) ReadRegisters()
    {
        lock (sync)
        {
            var wasRunning = state == MachineState.Running;
            if (wasRunning)
            {
                Pause();
            }
            try
            {
                return (vcpu.GetRegisters(), vcpu.GetSpecialRegisters());
            }
            finally
            {
                if (wasRunning)
                {
                    Resume();
                }
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the vCPU from the calling thread while the vCPU loop is not
    /// in the guest (Created, Paused, or paused for the call and resumed after it): the debugger's
    /// way to single-step the emulator and read guest state. Port and MMIO accesses go to this
    /// machine's buses as usual.
    /// </summary>
    public T WithVcpu<T>(Func<IVirtualCpu, T> action)
    {
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var wasRunning = state == MachineState.Running;
            if (wasRunning)
            {
                Pause();
            }
            try
            {
                return action(vcpu);
            }
            finally
            {
                if (wasRunning)
                {
                    Resume();
                }
            }
        }
    }

    // ---- the vCPU loop --------------------------------------------------------------------------

    private enum Outcome { Handled, Interrupted, Stopped }

    private void RunLoop()
    {
        VcpuThreadId = Interop.OsThread.CurrentId();
        try
        {
            while (true)
            {
                if (!AwaitTurn())
                {
                    return;
                }
                var exit = vcpu.Run(this);
                if (TimeToFirstExit is null)
                {
                    sinceCreate.Stop();
                    TimeToFirstExit = sinceCreate.Elapsed;
                }
                Exits.Count(exit.Reason);
                if (HandleExit(exit) == Outcome.Stopped)
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            log.Error(e, "vCPU loop of {Name} failed", Name);
            lock (sync)
            {
                Finish(MachineState.Crashed, $"the VMM failed: {e.Message}");
            }
        }
    }

    /// <summary>Parks the loop while paused; false when it must end (a stop was requested).</summary>
    private bool AwaitTurn()
    {
        lock (sync)
        {
            while (request == Request.Pause)
            {
                SetState(MachineState.Paused);
                Monitor.Wait(sync);
            }
            if (request == Request.Stop)
            {
                Finish(MachineState.Stopped, stopReason ?? "stopped");
                return false;
            }
            if (state == MachineState.Paused)
            {
                SetState(MachineState.Running);
            }
            return true;
        }
    }

    private Outcome HandleExit(VcpuExit exit)
    {
        if (exit.IsFatal)
        {
            var rip = SafeRip();
            lock (sync)
            {
                FatalExit = exit;
                Finish(MachineState.Crashed, rip is null ? exit.Detail! : $"{exit.Detail} (RIP 0x{rip:x})");
            }
            return Outcome.Stopped;
        }
        switch (exit.Reason)
        {
            case VcpuExitReason.Halt:
                WaitForInterrupt();
                return Outcome.Handled;
            case VcpuExitReason.Debug:
                // A breakpoint (emulator): park the loop as Paused, so the debugger cmdlets can look and step.
                lock (sync)
                {
                    request = request == Request.Stop ? request : Request.Pause;
                }
                return Outcome.Handled;
            case VcpuExitReason.Interrupted:
                return Outcome.Interrupted;
            default:
                return Outcome.Handled;
        }
    }

    /// <summary>HLT with the interrupt controller in user space: sleep until an interrupt or a request arrives.</summary>
    private void WaitForInterrupt()
    {
        lock (sync)
        {
            while (request == Request.None && !(pic?.HasPending ?? false))
            {
                Monitor.Wait(sync, TimeSpan.FromMilliseconds(100));
            }
        }
    }

    private void OnInterruptRaised()
    {
        if (pic is null || !pic.HasPending)
        {
            return;
        }
        lock (sync)
        {
            Monitor.PulseAll(sync);
            if (state == MachineState.Running && Thread.CurrentThread != thread)
            {
                vcpu.RequestExit();
            }
        }
    }

    private void OnDebugExit(uint value)
    {
        lock (sync)
        {
            ExitCode = value;
        }
        RequestStop($"the guest wrote {value} to the debug-exit port");
    }

    private void RequestStop(string reason)
    {
        lock (sync)
        {
            stopReason ??= reason;
            request = Request.Stop;
            Monitor.PulseAll(sync);
        }
    }

    private ulong? SafeRip()
    {
        try
        {
            return vcpu.GetRegisters().Rip;
        }
        catch (VirtToolsException)
        {
            return null;
        }
    }

    private void SetState(MachineState next)
    {
        state = next;
        Monitor.PulseAll(sync);
    }

    /// <summary>Enters a final state (caller holds <c>sync</c>), stops device timers and raises <see cref="Ended"/>.</summary>
    private void Finish(MachineState final, string reason)
    {
        if (IsFinal(state))
        {
            return;
        }
        clock.Stop();
        Reason = reason;
        SetState(final);
        // Halt, not Dispose: joining the PIT thread here, under sync, could deadlock with a tick that wants sync.
        foreach (var timer in owned.OfType<Pit8254>())
        {
            timer.Halt();
        }
        log.Information("Machine {Name} {State}: {Reason}", Name, final, reason);
        Ended?.Invoke(this);
    }

    private static bool IsFinal(MachineState s) => s is MachineState.Stopped or MachineState.Crashed;

    private VirtToolsException NotIn(MachineState expected, string verb) =>
        new("MachineStateInvalid", VirtErrorKind.InvalidOperation, $"cannot {verb} machine '{Name}': it is {state}, not {expected}", Name);

    // ---- IVcpuExitHandler: every accelerator's guest I/O lands here ------------------------------

    public void PortRead(ushort port, Span<byte> data) => PortBus.Read(port, data);

    public void PortWrite(ushort port, ReadOnlySpan<byte> data) => PortBus.Write(port, data);

    public void MmioRead(ulong address, Span<byte> data) => MmioBus.Read(address, data);

    public void MmioWrite(ulong address, ReadOnlySpan<byte> data)
    {
        if (address == MachineLayout.BootTimeMarker)
        {
            log.Information("Machine {Name}: boot-time marker after {Elapsed} ms", Name, clock.Elapsed.TotalMilliseconds);
            return;
        }
        MmioBus.Write(address, data);
    }

    public void Dispose()
    {
        Thread? running;
        lock (sync)
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            running = thread;
        }
        if (running is not null && running != Thread.CurrentThread)
        {
            try
            {
                Stop(force: true);
            }
            catch (VirtToolsException e)
            {
                log.Warning("Machine {Name} did not stop cleanly: {Message}", Name, e.Message);
            }
            running.Join();
        }
        // Reverse order of creation: vCPU before VM before memory before the /dev/kvm fd.
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }
        owned.Clear();
    }

    /// <summary>An ISA line on the accelerator's in-kernel controller.</summary>
    private sealed class AcceleratorLine(IVirtualMachine vm, int irq) : IInterruptLine
    {
        public void Set(bool level) => vm.SetIrqLine(irq, level);
    }
}
