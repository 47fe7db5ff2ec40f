using System.Diagnostics;
using Serilog;
using VirtTools.Accelerators;
using VirtTools.Diagnostics;
using VirtTools.Machine.Devices;
using VirtTools.Machine.Loaders;

namespace VirtTools.Machine;

/// <summary>
/// One machine: guest memory, the port and MMIO buses with their devices, an accelerator VM and its
/// vCPUs, and the vCPU loops. Built by <see cref="Create"/> as a recipe of independent steps (open the
/// accelerator, map memory, in-kernel devices, user-space devices, firmware tables, load the image,
/// create the vCPUs). Each vCPU has its own thread running the same loop; together they form one
/// explicit state machine (Running / Paused / final) driven from any thread through
/// <see cref="Pause"/>, <see cref="Resume"/> and <see cref="Stop"/>: Paused once every loop is parked,
/// final once every loop has left. Lock order: <c>sync</c> (this machine's state) may be taken before
/// a device's or the PIC's lock, never after one.
/// </summary>
public sealed class VirtMachine : IVcpuExitHandler, IMachineControl, IDisposable
{
    /// <summary>How long a graceful <see cref="Stop"/> waits for the guest to reach its next exit.</summary>
    public static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(5);

    private static readonly ILogger log = VirtLog.For<VirtMachine>();

    private readonly object sync = new();
    /// <summary>Pulsed on every state change, for <see cref="WaitForStateChange"/> (taken inside <c>sync</c>, never around it).</summary>
    private readonly object stateChanged = new();
    private readonly List<IDisposable> owned = [];
    private readonly Stopwatch clock = new();
    /// <summary>Runs from the start of <see cref="Create"/> to the first exit, but not while a built machine waits to be started.</summary>
    private readonly Stopwatch sinceCreate = Stopwatch.StartNew();
    private IAccelerator accelerator = null!;
    private IVirtualMachine vm = null!;
    /// <summary>vCPU k has APIC id k; vCPU 0 is the bootstrap processor the loader sets up.</summary>
    private IVirtualCpu[] vcpus = [];
    private Uart16550 uart = null!;
    private PicPair? pic;
    private FpuErrorLatch? fpuError;
    /// <summary>The thread running each vCPU's loop (index = vCPU), set when the machine starts.</summary>
    private Thread?[] threads = [];
    /// <summary>
    /// The vCPU threads exist since the machine was built and wait for <see cref="Start"/>; vCPU 0's
    /// is lent by <see cref="RunWhenStarted"/>'s caller, so it is never joined.
    /// </summary>
    private bool threadsParked;
    /// <summary>Set when the lent thread has left vCPU 0's loop: <see cref="Dispose"/> waits for it as it joins the others.</summary>
    private readonly ManualResetEventSlim lentLoopEnded = new();
    /// <summary>Volatile: <see cref="WaitForStateChange"/> reads it without <c>sync</c>.</summary>
    private volatile MachineState state = MachineState.Created;
    /// <summary>What the host or the guest asked the loops to do at their next turn.</summary>
    private Request request;
    private string? stopReason;
    /// <summary>Why the machine crashed, set by the first vCPU that hit a fatal exit (or whose loop failed).</summary>
    private string? crashReason;
    /// <summary>vCPU loops that have not ended yet; the last one to leave finishes the machine.</summary>
    private int live;
    /// <summary>vCPU loops parked for a pause; the machine is Paused when all live loops are.</summary>
    private int parked;
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

    /// <summary>Read without <c>sync</c>: a status request must not queue behind (or hold up) the vCPU loops.</summary>
    public MachineState State => state;

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
    /// From the start of <see cref="Create"/> to the vCPU's first exit, less the time the built machine
    /// waited for <see cref="Start"/>: with a guest whose first instruction exits (an OUT), the cost of
    /// building a machine up to its first guest instruction.
    /// </summary>
    public TimeSpan? TimeToFirstExit => Volatile.Read(ref firstExitTicks) is var ticks and > 0 ? TimeSpan.FromTicks(ticks) : null;

    /// <summary>
    /// <see cref="TimeToFirstExit"/> in ticks, 0 until the first exit: one 8-byte field the vCPU thread
    /// writes and status requests read without a lock (a TimeSpan? could be read half written).
    /// </summary>
    private long firstExitTicks;

    /// <summary>Port accesses no device claimed (ignored: reads return 0xff).</summary>
    public long UnhandledPortAccesses => PortBus.UnhandledReads + PortBus.UnhandledWrites;

    public long UnhandledMmioAccesses => MmioBus.UnhandledReads + MmioBus.UnhandledWrites;

    public ulong? InstructionsRetired => Bsp.InstructionsRetired;

    /// <summary>The vCPUs, index = APIC id.</summary>
    public int ProcessorCount => vcpus.Length;

    private IVirtualCpu Bsp => vcpus[0];

    /// <summary>
    /// Per vCPU, the kernel id of the thread running it once its loop started, else 0: their CPU time
    /// (in /proc/self/task) is the machine's.
    /// </summary>
    public IReadOnlyList<int> VcpuThreadIds => vcpuThreadIds;

    private int[] vcpuThreadIds = [];

    /// <summary>
    /// Raised once when the machine reaches Stopped or Crashed, never under the machine's lock: on the
    /// last vCPU thread to leave, or on the thread that stopped a machine that never started.
    /// </summary>
    public event Action<VirtMachine>? Ended;

    public IInterruptAcknowledge? Interrupts => pic;

    /// <summary>
    /// Builds a machine ready to start; on failure everything created so far is released. With
    /// <paramref name="borrowVcpu0Thread"/>, vCPU 0 runs on whichever thread calls
    /// <see cref="RunWhenStarted"/> (which must be called), and the other vCPUs' threads are created
    /// now, waiting: a start then only wakes them. A VMM process builds its machine this way and
    /// lends it its main thread, which has nothing else to do; creating and first scheduling a new
    /// thread cost a starting guest 0.1 to 0.6 ms on a loaded two-CPU host (Kvm.Bench.ps1).
    /// </summary>
    public static VirtMachine Create(MachineConfig config, bool borrowVcpu0Thread = false)
    {
        if (config.ProcessorCount < 1)
        {
            throw new VirtToolsException("ProcessorCountInvalid", VirtErrorKind.InvalidArgument,
                $"a machine needs at least one vCPU (asked for {config.ProcessorCount})", config.ProcessorCount);
        }
        if (config.ProcessorCount > 1 && !config.InKernelDevices)
        {
            throw NoLocalApic(config, "user-space devices (-UserSpaceDevices) have no local APIC model");
        }
        var machine = new VirtMachine(config);
        try
        {
            machine.OpenAccelerator();
            machine.MapMemory();
            machine.vm.CreateInKernelDevices();
            machine.CheckLocalApics();
            machine.AttachDevices();
            machine.WriteFirmwareTables();
            machine.CreateVcpus();
            if (borrowVcpu0Thread)
            {
                machine.ParkThreads();
            }
            // Until Start: the wait for it is the caller's (New-VirtMachine, then Start-VirtMachine).
            machine.sinceCreate.Stop();
            // No log event here: see LogCreated, written at the first exit.
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
        if (Config.ProcessorCount > 1 && accelerator.Kind == Host.AcceleratorKind.Emulator)
        {
            throw NoLocalApic(Config, "the emulator has no local APIC model");
        }
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
        fpuError = new FpuErrorLatch(Line(MachineLayout.FpuErrorIrq));
        PortBus.Insert(fpuError, MachineLayout.FpuErrorClear, FpuErrorLatch.Length);
    }

    /// <summary>
    /// More than one vCPU needs local APICs: the BSP starts the others with INIT-SIPI-SIPI, and only
    /// KVM's in-kernel irqchip models them.
    /// </summary>
    private void CheckLocalApics()
    {
        if (Config.ProcessorCount > 1 && !vm.HasInKernelIrqchip)
        {
            throw NoLocalApic(Config, $"{accelerator.Description} has no in-kernel irqchip, so no local APIC model");
        }
    }

    private static VirtToolsException NoLocalApic(MachineConfig config, string why) =>
        new("ProcessorCountNotSupported", VirtErrorKind.NotSupported,
            $"{config.ProcessorCount} vCPUs need local APICs to start the others with INIT-SIPI-SIPI, and {why}; use one vCPU, or KVM with in-kernel devices",
            config.ProcessorCount);

    /// <summary>
    /// The MP table (what a BIOS leaves so the OS finds its processors and the IOAPIC), for machines
    /// whose interrupt controllers are KVM's: a user-space PIC has no IOAPIC or local APIC to describe.
    /// Written before the image, so an image that loads over the BIOS area wins.
    /// </summary>
    private void WriteFirmwareTables()
    {
        if (!vm.HasInKernelIrqchip)
        {
            return;
        }
        var (signature, _, _, features) = System.Runtime.Intrinsics.X86.X86Base.IsSupported
            ? System.Runtime.Intrinsics.X86.X86Base.CpuId(1, 0)
            : (0, 0, 0, 0);
        MpTable.Write(Memory, Config.ProcessorCount, (uint)signature, (uint)features);
    }

    /// <summary>vCPU 0 gets the loader's boot state; the others wait for the guest's start-up IPIs.</summary>
    private void CreateVcpus()
    {
        vcpus = new IVirtualCpu[Config.ProcessorCount];
        vcpuThreadIds = new int[Config.ProcessorCount];
        for (var index = 0; index < vcpus.Length; index++)
        {
            vcpus[index] = vm.CreateVcpu(index);
            owned.Add(vcpus[index]);
        }
        threads = new Thread?[vcpus.Length];
        ImageLoader.Load(Memory, Bsp.GetSpecialRegisters(), Config.Boot).Apply(Bsp);
    }

    private IInterruptLine Line(int irq) => pic is null ? new AcceleratorLine(vm, irq) : pic.Line(irq);

    /// <summary>Starts one thread per vCPU, or wakes the waiting ones (see <see cref="Create"/>).</summary>
    public void Start()
    {
        lock (sync)
        {
            EnterRunning();
            if (!threadsParked)
            {
                StartThreads(from: 0);
            }
        }
    }

    /// <summary>Creates the threads of vCPUs 1 and up, each waiting in <see cref="AwaitStart"/>; vCPU 0's is lent later.</summary>
    private void ParkThreads()
    {
        lock (sync)
        {
            threadsParked = true;
            StartThreads(from: 1);
        }
    }

    /// <summary>
    /// Lends the calling thread to vCPU 0 of a machine built with <c>borrowVcpu0Thread</c> (see
    /// <see cref="Create"/>): waits for <see cref="Start"/> from another thread (or finds it done),
    /// runs vCPU 0's loop, and returns when the machine has ended; at once if it ended before it
    /// started (stopped, or disposed).
    /// </summary>
    public void RunWhenStarted()
    {
        lock (sync)
        {
            if (!threadsParked || threads[0] is not null)
            {
                throw new InvalidOperationException("RunWhenStarted runs vCPU 0, once, of a machine built with borrowVcpu0Thread");
            }
            threads[0] = Thread.CurrentThread;
        }
        try
        {
            RunLoop(0);
        }
        finally
        {
            lentLoopEnded.Set();
        }
        WaitForExit(Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Holds a parked vCPU thread until the machine starts; false when it ended first (stopped or
    /// disposed before it was started), and the thread leaves without having run.
    /// </summary>
    private bool AwaitStart()
    {
        lock (sync)
        {
            while (state == MachineState.Created)
            {
                Monitor.Wait(sync);
            }
            return !IsFinal(state);
        }
    }

    /// <summary>Starts the loops of vCPUs <paramref name="from"/> and up, each on a thread named <c>vcpuK:name</c>.</summary>
    private void StartThreads(int from)
    {
        for (var index = from; index < vcpus.Length; index++)
        {
            var k = index;
            threads[k] = new Thread(() => RunLoop(k)) { IsBackground = true, Name = $"vcpu{k}:{Name}" };
            threads[k]!.Start();
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
            if (threadsParked)
            {
                throw new InvalidOperationException("a machine built with borrowVcpu0Thread runs with RunWhenStarted");
            }
            EnterRunning();
            threads[0] = Thread.CurrentThread;
            StartThreads(from: 1);
        }
        RunLoop(0);
        // The BSP's loop can leave before the APs' loops have: the machine is final when the last one has.
        WaitForExit(Timeout.InfiniteTimeSpan);
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
        live = vcpus.Length;
        // Before the state: a status request reads State without the lock, and a Running machine has a start time.
        StartTime = DateTime.UtcNow;
        clock.Start();
        sinceCreate.Start();
        SetState(MachineState.Running);
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
            KickAll();
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
        try
        {
            StopUnderLock(force);
        }
        finally
        {
            RaiseEndedOnce();
        }
    }

    /// <summary>
    /// Ends a machine that never started, in one step with the check, so a <see cref="Start"/> from
    /// another thread cannot come between: true when the machine is (now) Stopped or Crashed, false
    /// when it runs or is paused, and then it is left alone (a removal without -Force).
    /// </summary>
    public bool StopUnlessStarted()
    {
        try
        {
            lock (sync)
            {
                if (state == MachineState.Created)
                {
                    Finish(MachineState.Stopped, "stopped before it was started");
                }
                return IsFinal(state);
            }
        }
        finally
        {
            RaiseEndedOnce();
        }
    }

    private void StopUnderLock(bool force)
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
                KickAll();
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
    public bool WaitForExit(TimeSpan timeout) => WaitUntil(IsFinal, timeout, out _);

    /// <summary>
    /// Blocks until the machine's state differs from <paramref name="known"/> or
    /// <paramref name="timeout"/> has passed, and returns the state then: how a VMM process learns of
    /// the changes the guest causes (a breakpoint's pause) without polling.
    /// </summary>
    public MachineState WaitForStateChange(MachineState known, TimeSpan timeout)
    {
        // On stateChanged, not sync: a woken watcher must not queue for the lock the vCPU loops take
        // (on a two-CPU host that cost a starting guest its first half millisecond).
        var deadline = Stopwatch.StartNew();
        lock (stateChanged)
        {
            while (state == known)
            {
                var left = timeout - deadline.Elapsed;
                if (timeout != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                {
                    break;
                }
                Monitor.Wait(stateChanged, timeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : left);
            }
            return state;
        }
    }

    /// <summary>
    /// Waits (every state change pulses <c>sync</c>) until <paramref name="reached"/> holds for the state
    /// or <paramref name="timeout"/> (which may be infinite) has passed; <paramref name="last"/> is the
    /// state seen last.
    /// </summary>
    private bool WaitUntil(Func<MachineState, bool> reached, TimeSpan timeout, out MachineState last)
    {
        var deadline = Stopwatch.StartNew();
        lock (sync)
        {
            while (!reached(state))
            {
                var left = timeout - deadline.Elapsed;
                if (timeout != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                {
                    last = state;
                    return false;
                }
                Monitor.Wait(sync, timeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : left);
            }
            last = state;
            return true;
        }
    }

    VirtMachineInfo IMachineControl.Info() => VirtMachineInfo.From(this);

    /// <summary>Feeds console input to COM1.</summary>
    public void SendInput(ReadOnlySpan<byte> input) => uart.Enqueue(input);

    /// <summary>The registers of vCPU <paramref name="processor"/>; a running machine is paused for the read and resumed.</summary>
    public (Registers Registers, SpecialRegisters Special) ReadRegisters(int processor = 0)
    {
        lock (sync)
        {
            var vcpu = Vcpu(processor);
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
    public T WithVcpu<T>(Func<IVirtualCpu, T> action, int processor = 0)
    {
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var vcpu = Vcpu(processor);
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

    private IVirtualCpu Vcpu(int processor) =>
        processor >= 0 && processor < vcpus.Length
            ? vcpus[processor]
            : throw new VirtToolsException("ProcessorNotFound", VirtErrorKind.InvalidArgument,
                $"machine '{Name}' has {vcpus.Length} vCPU(s) (0-{vcpus.Length - 1}); there is no vCPU {processor}", processor);

    // ---- the vCPU loops ---------------------------------------------------------------------------

    private enum Outcome { Handled, Interrupted, Stopped }

    /// <summary>The loop of vCPU <paramref name="index"/>, on that vCPU's thread.</summary>
    private void RunLoop(int index)
    {
        if (threadsParked && !AwaitStart())
        {
            return;
        }
        var vcpu = vcpus[index];
        vcpuThreadIds[index] = Interop.OsThread.CurrentId();
        try
        {
            while (AwaitTurn())
            {
                var exit = vcpu.Run(this);
                if (index == 0 && Volatile.Read(ref firstExitTicks) == 0)
                {
                    sinceCreate.Stop();
                    Volatile.Write(ref firstExitTicks, Math.Max(1, sinceCreate.Elapsed.Ticks));
                    LogCreated();
                }
                Exits.Count(exit.Reason);
                if (HandleExit(index, exit) == Outcome.Stopped)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            log.Error(e, "vCPU {Index} loop of {Name} failed", index, Name);
            lock (sync)
            {
                crashReason ??= $"the VMM failed on {VcpuName(index)}: {e.Message}";
                request = Request.Stop;
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// The "created" event, written once the guest has run its first instruction rather than when
    /// <see cref="Create"/> returns: a log event costs a file append and wakes the cmdlet's pipeline
    /// thread to replay it (LogCapture), and on a loaded two-CPU host that woken thread ran ahead of
    /// the vCPU thread, costing the guest's start up to milliseconds (Kvm.Bench.ps1, docs/machine.md).
    /// A machine disposed before it starts logs only its end.
    /// </summary>
    private void LogCreated() =>
        log.Information("Machine {Name} created on {Accelerator} ({Memory} MiB, {Vcpus} vCPUs, in-kernel devices {InKernel}); first exit after {FirstExit} ms",
            Name, accelerator.Description, Config.MemoryBytes >> 20, Config.ProcessorCount, vm.HasInKernelIrqchip, TimeToFirstExit!.Value.TotalMilliseconds);

    /// <summary>Parks the calling loop while a pause is requested; false when it must end (a stop was requested).</summary>
    private bool AwaitTurn()
    {
        lock (sync)
        {
            while (request == Request.Pause)
            {
                parked++;
                if (parked == live)
                {
                    SetState(MachineState.Paused);
                }
                Monitor.Wait(sync);
                parked--;
            }
            if (request == Request.Stop)
            {
                return false;
            }
            if (state == MachineState.Paused)
            {
                SetState(MachineState.Running);
            }
            return true;
        }
    }

    /// <summary>
    /// A loop ends: the machine is stopping, so the other vCPUs are kicked out of the guest (a graceful
    /// stop waits for one vCPU's next exit, not for all of them); the last loop to leave finishes the machine.
    /// </summary>
    private void Leave()
    {
        lock (sync)
        {
            live--;
            request = Request.Stop;
            KickAll();
            if (live == 0)
            {
                Finish(crashReason is null ? MachineState.Stopped : MachineState.Crashed, crashReason ?? stopReason ?? "stopped");
            }
        }
        RaiseEndedOnce();
    }

    private static string VcpuName(int index) => $"vCPU {index}";

    private Outcome HandleExit(int index, VcpuExit exit)
    {
        if (exit.IsFatal)
        {
            var rip = SafeRip(vcpus[index]);
            var detail = rip is null ? exit.Detail! : $"{exit.Detail} (RIP 0x{rip:x})";
            lock (sync)
            {
                if (crashReason is null)
                {
                    FatalExit = exit;
                    crashReason = vcpus.Length > 1 ? $"{VcpuName(index)}: {detail}" : detail;
                }
                request = Request.Stop;
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
                    KickAll();
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
            if (state == MachineState.Running && Thread.CurrentThread != threads[0])
            {
                Bsp.RequestExit();
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

    /// <summary>
    /// The guest ended the machine (debug exit, reset line) from one vCPU's exit: that loop sees the
    /// request at its next turn, the other vCPUs are kicked out of the guest at once.
    /// </summary>
    private void RequestStop(string reason)
    {
        lock (sync)
        {
            stopReason ??= reason;
            request = Request.Stop;
            Monitor.PulseAll(sync);
            if (vcpus.Length > 1)
            {
                KickAll();
            }
        }
    }

    /// <summary>
    /// Makes every vCPU leave the guest promptly (immediate_exit plus the kick signal on KVM), except the
    /// one the calling thread runs: that loop looks at the request before it enters the guest again, and
    /// a kick to itself would leave the signal pending on a thread that may outlive the machine.
    /// </summary>
    private void KickAll()
    {
        for (var i = 0; i < vcpus.Length; i++)
        {
            if (threads.Length <= i || threads[i] != Thread.CurrentThread)
            {
                vcpus[i].RequestExit();
            }
        }
    }

    private static ulong? SafeRip(IVirtualCpu vcpu)
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
        // Written before this lock is taken, so a watcher that saw the old state under it is waiting by now.
        lock (stateChanged)
        {
            Monitor.PulseAll(stateChanged);
        }
    }

    /// <summary>
    /// Enters a final state (caller holds <c>sync</c>) and stops device timers; the caller raises
    /// <see cref="Ended"/> with <see cref="RaiseEndedOnce"/> once it has let go of <c>sync</c>.
    /// </summary>
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
        endedPending = 1;
    }

    private int endedPending;

    /// <summary>
    /// Raises <see cref="Ended"/> if <see cref="Finish"/> has run and nobody raised it yet. Never under
    /// <c>sync</c>: a handler takes its own locks (the VMM server's state-file gate) and reads the
    /// machine, which takes <c>sync</c>; raised under it, a request thread holding the gate and asking
    /// for the state deadlocked with the vCPU thread that finished the machine.
    /// </summary>
    private void RaiseEndedOnce()
    {
        if (Interlocked.Exchange(ref endedPending, 0) == 1)
        {
            try
            {
                Ended?.Invoke(this);
            }
            catch (Exception e)
            {
                // A subscriber's failure (a VMM's state file gone with its directory) must not break the
                // stop that raised it, nor end a vCPU thread with an unhandled exception.
                log.Warning(e, "an Ended handler of machine {Name} failed", Name);
            }
        }
    }

    private static bool IsFinal(MachineState s) => s is MachineState.Stopped or MachineState.Crashed;

    private VirtToolsException NotIn(MachineState expected, string verb) =>
        new("MachineStateInvalid", VirtErrorKind.InvalidOperation, $"cannot {verb} machine '{Name}': it is {state}, not {expected}", Name);

    // ---- IVcpuExitHandler: every accelerator's guest I/O lands here ------------------------------

    public void PortRead(ushort port, Span<byte> data) => PortBus.Read(port, data);

    public void PortWrite(ushort port, ReadOnlySpan<byte> data) => PortBus.Write(port, data);

    public void FpuError() => fpuError?.Assert();

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
        Thread[] running;
        bool stop;
        bool lentLoopRuns;
        lock (sync)
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            // Not a borrowed vCPU 0 thread (RunWhenStarted's): it goes on to other work, so it is
            // waited for by stopping the machine, not by a join.
            running = threads.Skip(threadsParked ? 1 : 0).OfType<Thread>().Where(t => t != Thread.CurrentThread).ToArray();
            stop = running.Length > 0 || (threadsParked && !IsFinal(state));
            lentLoopRuns = threadsParked && threads[0] is { } lent && lent != Thread.CurrentThread;
        }
        if (stop)
        {
            try
            {
                Stop(force: true);
            }
            catch (VirtToolsException e)
            {
                log.Warning("Machine {Name} did not stop cleanly: {Message}", Name, e.Message);
            }
            foreach (var thread in running)
            {
                thread.Join();
            }
        }
        if (lentLoopRuns)
        {
            // As a join: the vCPU and its memory must outlive the loop that may still be in KVM_RUN.
            lentLoopEnded.Wait();
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
