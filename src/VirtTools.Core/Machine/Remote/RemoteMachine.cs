using System.Diagnostics;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Remote;

/// <summary>
/// A machine that runs in its own VMM process, seen through its directory under /run/virttools:
/// controlled over the socket while the process lives, reported as <see cref="MachineState.Stale"/>
/// once it is gone.
/// </summary>
public sealed class RemoteMachine : IMachineControl
{
    public RemoteMachine(string directory, VmmState? state)
    {
        Directory = directory;
        Name = state?.Name ?? Path.GetFileName(directory);
        LastState = state;
    }

    public string Name { get; }

    public string Directory { get; }

    public VmmState? LastState { get; }

    /// <summary>False when state.json names a process that no longer exists (or is no VMM).</summary>
    public bool IsAlive => LastState is { Pid: > 0 } s && IsVmmProcess(s.Pid);

    public VirtMachineInfo Info()
    {
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

    public MachineRegisters Registers() => Send(new VmmRequest("registers")).Registers!;

    public void SendInput(ReadOnlySpan<byte> data) => Send(new VmmRequest("input", Data: Convert.ToBase64String(data)));

    /// <summary>Console output from <paramref name="offset"/>; returns the bytes and the next offset.</summary>
    public (byte[] Data, long Next) ReadOutput(long offset)
    {
        var reply = Send(new VmmRequest("output", Offset: offset));
        return (Convert.FromBase64String(reply.Output ?? ""), reply.OutputEnd);
    }

    /// <summary>Ends the VMM process (a running machine only with <paramref name="force"/>) or cleans stale state.</summary>
    public void Remove(bool force)
    {
        if (IsAlive)
        {
            var pid = LastState!.Pid;
            Send(new VmmRequest("remove", force));
            WaitForExit(pid, TimeSpan.FromSeconds(10));
            return;
        }
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private VmmReply Send(VmmRequest request)
    {
        if (!IsAlive)
        {
            throw new VirtToolsException("MachineStale", VirtErrorKind.InvalidOperation,
                $"the VMM process of machine '{Name}' is gone; Remove-VirtMachine cleans its state", Name);
        }
        return VmmClient.Send(Directory, Name, request);
    }

    private VirtMachineInfo StaleInfo()
    {
        var s = LastState;
        var reason = s is null ? "no readable state.json"
            : $"VMM process {s.Pid} is gone (last state {s.State}{(s.Reason is null ? "" : ": " + s.Reason)})";
        return new VirtMachineInfo(Name, s?.Id ?? Guid.Empty, MachineState.Stale, s?.Accelerator ?? Host.AcceleratorKind.Auto, "",
            false, s?.MemoryMB ?? 0, 1, s?.StartTime, TimeSpan.Zero, s?.ExitCode, reason, new Dictionary<string, long>(), 0, 0, 0, null, 0);
    }

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

    private static void WaitForExit(int pid, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (IsVmmProcess(pid) && clock.Elapsed < timeout)
        {
            Thread.Sleep(20);
        }
    }
}
