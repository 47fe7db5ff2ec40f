using System.Diagnostics;
using VirtTools.Accelerators.Emulator;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Remote;

/// <summary>
/// A machine that runs in its own VMM process, seen through its directory under /run/virttools:
/// controlled over the socket while the process lives, reported as <see cref="MachineState.Stale"/>
/// once it is gone.
/// </summary>
public sealed class RemoteMachine : IMachineConsole, IMachineDebugger
{
    private static readonly Serilog.ILogger Log = VirtLog.For<RemoteMachine>();

    /// <summary>A forced stop takes well under a second; a VMM that has not answered a remove by then is hung.</summary>
    private static readonly TimeSpan RemoveReplyTimeout = TimeSpan.FromSeconds(10);

    public RemoteMachine(string directory, VmmState? state)
    {
        Directory = directory;
        Name = state?.Name ?? Path.GetFileName(directory);
        LastState = state;
    }

    public string Name { get; }

    public string Directory { get; }

    public VmmState? LastState { get; }

    /// <summary>
    /// False when state.json names a process that no longer exists, is no VMM, or started at another
    /// time than the one recorded (the pid was recycled).
    /// </summary>
    public bool IsAlive => LastState is { Pid: > 0 } s
        && (s.PidStartTime == 0 || new Isolation.ProcessIdentity(s.Pid, s.PidStartTime).IsAlive)
        && IsVmmProcess(s.Pid);

    /// <summary>
    /// True while a VMM builds the machine: its state.json says Starting and the process lives, or the
    /// launcher has written config.json and the VMM has not written state.json yet (a directory
    /// younger than the launcher's wait; an older one without state is stale).
    /// </summary>
    public bool IsStarting => LastState is { State: MachineState.Starting }
        ? IsAlive
        : LastState is null && File.Exists(VmmPaths.ConfigFile(Directory))
            && DateTime.UtcNow - File.GetLastWriteTimeUtc(VmmPaths.ConfigFile(Directory)) < VmmLauncher.ReadyTimeout;

    public VirtMachineInfo Info()
    {
        if (IsStarting)
        {
            return StartingInfo();
        }
        if (IsAlive)
        {
            try
            {
                return Send(new VmmRequest("status")).Info!;
            }
            catch (VirtToolsException e) when (e.ErrorId == "VmmUnreachable" && !IsAlive)
            {
                // It died between the check and the request: report what it left behind.
            }
        }
        return StaleInfo();
    }

    public void Start() => Send(new VmmRequest("start"));

    public void Pause() => Send(new VmmRequest("pause"));

    public void Resume() => Send(new VmmRequest("resume"));

    public void Stop(bool force) => Send(new VmmRequest("stop", force));

    public MachineRegisters Registers(int processor = 0) => Send(new VmmRequest("registers") { Processor = processor }).Registers!;

    public StepResult Step(long count) => Send(new VmmRequest("step") { Count = count }).Step!;

    public IReadOnlyList<DisassemblyLine> Disassemble(ulong? address, int count) =>
        Send(new VmmRequest("disassemble") { Address = address, Count = count }).Disassembly!;

    public MachineBreakpoint AddBreakpoint(ulong? address, ushort? port) =>
        Send(new VmmRequest("break") { Address = address, Port = address is null ? port : null }).Breakpoints![0];

    public bool RemoveBreakpoint(MachineBreakpoint breakpoint) =>
        Send(breakpoint.Kind == "Port"
            ? new VmmRequest("unbreak") { Port = checked((ushort)breakpoint.Value) }
            : new VmmRequest("unbreak") { Address = breakpoint.Value }).Removed;

    public IReadOnlyList<MachineBreakpoint> Breakpoints() => Send(new VmmRequest("breakpoints")).Breakpoints!;

    public void SendInput(ReadOnlySpan<byte> data) => Send(new VmmRequest("input", Data: Convert.ToBase64String(data)));

    /// <summary>Console output from <paramref name="offset"/>; the VMM holds the request up to <paramref name="wait"/> until there is some.</summary>
    public ConsoleRead ReadOutput(long offset, TimeSpan wait)
    {
        var reply = Send(new VmmRequest("output", Offset: offset) { WaitMs = (int)Math.Clamp(wait.TotalMilliseconds, 0, VmmRequest.MaxWaitMs) });
        return new ConsoleRead(Convert.FromBase64String(reply.Output ?? ""), reply.OutputEnd, reply.State ?? MachineState.Running);
    }

    /// <summary>Ends the VMM process (a running machine only with <paramref name="force"/>) or cleans stale state.</summary>
    public void Remove(bool force)
    {
        if (IsStarting)
        {
            if (!force)
            {
                throw Starting();
            }
            // The directory goes first, in one rename: the launching New-VirtMachine, which waits on
            // it, must see it gone before it can see its VMM exit, or it would report a crash.
            var doomed = VmmPaths.Doomed(Directory);
            try
            {
                System.IO.Directory.Move(Directory, doomed);
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            if (IsAlive)
            {
                KillVmm(LastState!.Pid);
            }
            System.IO.Directory.Delete(doomed, recursive: true);
            return;
        }
        else if (IsAlive)
        {
            var pid = LastState!.Pid;
            try
            {
                Send(new VmmRequest("remove", force), RemoveReplyTimeout);
                if (WaitForExit(pid, TimeSpan.FromSeconds(10)))
                {
                    return;
                }
                // It agreed to go but did not (a vCPU that ignores the stop): end it, then clean up after it.
                Log.Warning("VMM process {Pid} of machine {Machine} did not exit after remove; killing it", pid, Name);
            }
            catch (VirtToolsException e) when (force && e.ErrorId == "VmmUnreachable")
            {
                // Alive but not answering (hung): -Force means the machine goes anyway.
                Log.Warning(e, "VMM process {Pid} of machine {Machine} does not answer; killing it", pid, Name);
            }
            KillVmm(pid);
        }
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private VmmReply Send(VmmRequest request, TimeSpan? replyTimeout = null)
    {
        if (IsStarting)
        {
            throw Starting();
        }
        if (!IsAlive)
        {
            throw new VirtToolsException("MachineStale", VirtErrorKind.InvalidOperation,
                $"the VMM process of machine '{Name}' is gone; Remove-VirtMachine cleans its state", Name);
        }
        return VmmClient.Send(Directory, Name, request, replyTimeout);
    }

    private VirtToolsException Starting() =>
        new("MachineStarting", VirtErrorKind.ResourceBusy,
            $"machine '{Name}' is still being built by its VMM process{(LastState is { Pid: > 0 } s ? $" {s.Pid}" : "")}; try again once its New-VirtMachine has returned (Remove-VirtMachine -Force ends the VMM)", Name);

    /// <summary>What a machine being built is, from the config.json its launcher wrote.</summary>
    private VirtMachineInfo StartingInfo()
    {
        MachineConfig? config = null;
        try
        {
            config = VmmJson.Deserialize<MachineConfig>(File.ReadAllText(VmmPaths.ConfigFile(Directory)));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            // Removed or rewritten under us: the name and state are still right.
        }
        return Unanswered(Guid.Empty, MachineState.Starting, config?.Accelerator ?? LastState?.Accelerator ?? Host.AcceleratorKind.Auto,
            config?.InKernelDevices ?? false, config is null ? LastState?.MemoryMB ?? 0 : config.MemoryBytes >> 20, config?.ProcessorCount ?? 1,
            null, null, "the VMM process is building the machine");
    }

    private VirtMachineInfo StaleInfo()
    {
        var s = LastState;
        var reason = s is null ? "no readable state.json"
            : $"VMM process {s.Pid} is gone (last state {s.State}{(s.Reason is null ? "" : ": " + s.Reason)})";
        return Unanswered(s?.Id ?? Guid.Empty, MachineState.Stale, s?.Accelerator ?? Host.AcceleratorKind.Auto,
            false, s?.MemoryMB ?? 0, 1, s?.StartTime, s?.ExitCode, reason);
    }

    /// <summary>What can be said of a machine whose VMM does not answer (not built yet, or gone): no uptime, exits or output.</summary>
    private VirtMachineInfo Unanswered(Guid id, MachineState state, Host.AcceleratorKind accelerator, bool inKernelDevices,
        ulong memoryMB, int processors, DateTime? startTime, uint? exitCode, string reason) =>
        new(Name, id, state, accelerator, "", inKernelDevices, memoryMB, processors, startTime, TimeSpan.Zero, exitCode, reason,
            new Dictionary<string, long>(), 0, 0, 0, null, 0, null);

    internal static bool IsVmmProcess(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("VirtTools.Vmm", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True when the process is gone within <paramref name="timeout"/>.</summary>
    private static bool WaitForExit(int pid, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (IsVmmProcess(pid))
        {
            if (clock.Elapsed >= timeout)
            {
                return false;
            }
            Thread.Sleep(20);
        }
        return true;
    }

    private static void KillVmm(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(5000);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone already.
        }
    }
}
