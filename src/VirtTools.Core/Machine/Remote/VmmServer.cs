using System.Net.Sockets;
using System.Text;
using VirtTools.Accelerators.Emulator;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Remote;

/// <summary>
/// Hosts one machine for its VMM process (or in-process, for tests): builds it, keeps state.json
/// current, and answers one JSON request per line on the control socket until the machine is removed.
/// </summary>
public sealed class VmmServer : IDisposable
{
    private static readonly Serilog.ILogger Log = VirtLog.For<VmmServer>();

    /// <summary>This process's start time, recorded with its pid in state.json (see <see cref="VmmState.PidStartTime"/>).</summary>
    private static readonly ulong OwnStartTime = Isolation.ProcessIdentity.ReadStartTime(Environment.ProcessId) ?? 0;

    private readonly string directory;
    private readonly VirtMachine machine;
    private readonly InProcessMachine access;
    private readonly Socket listener;
    private readonly ManualResetEventSlim removed = new();
    private readonly object stateGate = new();
    /// <summary>Set under <see cref="stateGate"/> once the machine is being removed (see <see cref="EndStateWrites"/>).</summary>
    private bool stateWritesEnded;

    private VmmServer(string directory, VirtMachine machine, Socket listener)
    {
        this.directory = directory;
        this.machine = machine;
        access = new InProcessMachine(machine);
        this.listener = listener;
        machine.Ended += _ => WriteState();
    }

    public VirtMachine Machine => machine;

    /// <summary>Builds the machine from <paramref name="directory"/>'s config.json and binds the socket; on failure state.json says why.</summary>
    public static VmmServer Open(string directory)
    {
        MachineConfig? config = null;
        VirtMachine? machine = null;
        Socket? listener = null;
        try
        {
            config = VmmJson.Deserialize<MachineConfig>(File.ReadAllText(VmmPaths.ConfigFile(directory)));
            // Say so host-wide before building: a JIT VMM (VIRTTOOLS_VMM=dotnet) takes a second to build.
            VmmJson.WriteFileAtomically(VmmPaths.StateFile(directory), VmmState.Starting(config, Environment.ProcessId));
            machine = VirtMachine.Create(config, borrowVcpu0Thread: true);
            var socketPath = VmmPaths.Socket(directory);
            File.Delete(socketPath);
            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(16);
            var server = new VmmServer(directory, machine, listener);
            server.WriteState();
            return server;
        }
        catch (Exception e)
        {
            // A machine built before the socket failed goes with it (its waiting vCPU threads too);
            // a failure of that clean-up must not hide the first one.
            listener?.Dispose();
            try
            {
                machine?.Dispose();
            }
            catch (Exception cleanup)
            {
                Log.Warning(cleanup, "releasing the machine of a failed VMM start failed");
            }
            var v = e as VirtToolsException;
            VmmJson.WriteFileAtomically(VmmPaths.StateFile(directory), new VmmState
            {
                Name = config?.Name ?? Path.GetFileName(directory),
                Pid = Environment.ProcessId,
                PidStartTime = OwnStartTime,
                State = MachineState.Crashed,
                Reason = e.Message,
                ErrorId = v?.ErrorId ?? "VmmStartFailed",
                ErrorKind = v?.Kind ?? VirtErrorKind.DeviceError,
                ErrorTarget = v?.Target?.ToString(),
            });
            throw;
        }
    }

    /// <summary>
    /// Answers requests until a remove request arrives; the calling thread runs vCPU 0 from the start
    /// request until the machine ends (see <see cref="VirtMachine.RunWhenStarted"/>).
    /// </summary>
    public void Serve()
    {
        new Thread(AcceptLoop) { IsBackground = true, Name = "vmm-accept" }.Start();
        // Not joined: it notices the removal within its one-second wait, and removal must not wait for that.
        new Thread(WatchState) { IsBackground = true, Name = "vmm-state" }.Start();
        machine.RunWhenStarted();
        removed.Wait();
    }

    /// <summary>
    /// Rewrites state.json on the changes no request causes: a breakpoint or a single-step trap that
    /// pauses the guest, the guest resuming, a vCPU loop ending. Waits on the machine's own state
    /// changes rather than polling; the timeout only lets it notice the removal.
    /// </summary>
    private void WatchState()
    {
        try
        {
            var written = machine.State;
            while (!removed.IsSet)
            {
                var now = machine.WaitForStateChange(written, TimeSpan.FromSeconds(1));
                // Created to Running is only ever a start request, whose handler writes it: the guest's
                // first instructions run without this thread writing the file beside them.
                if (now != written && !removed.IsSet && !(written == MachineState.Created && now == MachineState.Running))
                {
                    WriteState();
                }
                written = now;
            }
        }
        catch (Exception e) when (removed.IsSet)
        {
            // Removal deletes the directory under a last write: nothing is left to keep current.
            Log.Debug(e, "state watcher ended with the removal");
        }
    }

    /// <summary>
    /// Accepts on its own thread with a blocking accept, not an async loop on the thread pool: a pool
    /// worker that has run an item spins (sched_yield) before it sleeps, and on a two-CPU host that
    /// spinning took the CPU from the vCPU thread a start request had just woken. Disposing the
    /// listener ends the blocking accept with a SocketException.
    /// </summary>
    private void AcceptLoop()
    {
        while (!removed.IsSet)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            // A thread per connection, not a pool task: an output request blocks for up to its WaitMs,
            // and an attached console must not make other requests wait for the pool to grow.
            new Thread(() => Converse(client)) { IsBackground = true, Name = "vmm-client" }.Start();
        }
    }

    private void Converse(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        try
        {
            while (reader.ReadLine() is { } line)
            {
                VmmReply reply;
                var remove = false;
                try
                {
                    var request = VmmJson.Deserialize<VmmRequest>(line);
                    reply = Handle(request);
                    remove = request.Op == "remove";
                }
                catch (Exception e)
                {
                    reply = VmmReply.Failure(e);
                }
                if (remove && reply.Ok)
                {
                    // From here nothing writes state.json again: the directory is about to go. The
                    // stop ends vCPU 0's loop (or its wait for a start) on the serving thread, which
                    // then sees the removal; it comes before the reply, so a remove that returns has
                    // stopped the guest.
                    EndStateWrites();
                    StopForRemoval();
                    writer.WriteLine(VmmJson.Serialize(reply));
                    removed.Set();
                    return;
                }
                writer.WriteLine(VmmJson.Serialize(reply));
            }
        }
        catch (IOException e)
        {
            Log.Debug(e, "client went away");
        }
    }

    private VmmReply Handle(VmmRequest request)
    {
        switch (request.Op)
        {
            case "status":
                break;
            case "start":
                machine.Start();
                break;
            case "pause":
                machine.Pause();
                break;
            case "resume":
                machine.Resume();
                break;
            case "stop":
                machine.Stop(request.Force);
                break;
            case "input":
                machine.SendInput(Convert.FromBase64String(request.Data ?? ""));
                return new VmmReply { Ok = true };
            case "output":
                var read = access.ReadOutput(request.Offset, TimeSpan.FromMilliseconds(Math.Clamp(request.WaitMs, 0, VmmRequest.MaxWaitMs)));
                return new VmmReply { Ok = true, Output = Convert.ToBase64String(read.Data), OutputEnd = read.Next, State = read.State };
            case "registers":
                return new VmmReply { Ok = true, Registers = access.Registers(request.Processor) };
            case "step":
                var step = access.Step(request.Count > 0 ? request.Count : 1);
                WriteState();
                return new VmmReply { Ok = true, Step = step };
            case "disassemble":
                return new VmmReply { Ok = true, Disassembly = access.Disassemble(request.Address, (int)Math.Clamp(request.Count, 1, 10_000)) };
            case "breakpoints":
                return new VmmReply { Ok = true, Breakpoints = access.Breakpoints() };
            case "break":
                return new VmmReply { Ok = true, Breakpoints = [access.AddBreakpoint(request.Address, request.Address is null ? Port(request) : null)] };
            case "unbreak":
                return new VmmReply { Ok = true, Removed = access.RemoveBreakpoint(request.Address is { } address
                    ? new MachineBreakpoint(machine.Name, "Address", address)
                    : new MachineBreakpoint(machine.Name, "Port", Port(request))) };
            case "remove":
                // Without -Force, a machine that never started is ended in the same step as the
                // check: a start from another session can no longer slip in between and be forced down.
                if (!request.Force && !machine.StopUnlessStarted())
                {
                    throw new VirtToolsException("MachineRunning", VirtErrorKind.ResourceBusy,
                        $"machine '{machine.Name}' is {machine.State}; stop it first or use -Force", machine.Name);
                }
                return new VmmReply { Ok = true };
            default:
                throw new VirtToolsException("VmmRequestUnknown", VirtErrorKind.InvalidArgument, $"unknown request '{request.Op}'", request.Op);
        }
        WriteState();
        return new VmmReply { Ok = true, Info = VirtMachineInfo.From(machine) };
    }

    /// <summary>
    /// No state.json write after this returns, from any thread (the watcher, a request, the machine's
    /// Ended event): a write racing the directory's deletion left a stale state behind.
    /// </summary>
    private void EndStateWrites()
    {
        lock (stateGate)
        {
            stateWritesEnded = true;
        }
    }

    /// <summary>Stops the machine unless it has ended: forced if it runs, and before it starts if it never did.</summary>
    private void StopForRemoval()
    {
        if (machine.State is MachineState.Stopped or MachineState.Crashed)
        {
            return;
        }
        try
        {
            machine.Stop(force: true);
        }
        catch (VirtToolsException e)
        {
            Log.Warning(e, "forced stop on removal failed");
        }
    }

    private static ushort Port(VmmRequest request) => request.Port
        ?? throw new VirtToolsException("VmmRequestInvalid", VirtErrorKind.InvalidArgument, $"'{request.Op}' needs an address or a port", request.Op);

    private void WriteState()
    {
        lock (stateGate)
        {
            if (stateWritesEnded)
            {
                return;
            }
            VmmJson.WriteFileAtomically(VmmPaths.StateFile(directory), new VmmState
            {
                Name = machine.Name,
                Id = machine.Id,
                Pid = Environment.ProcessId,
                PidStartTime = OwnStartTime,
                State = machine.State,
                Accelerator = machine.AcceleratorKind,
                MemoryMB = machine.Config.MemoryBytes >> 20,
                StartTime = machine.StartTime,
                ExitCode = machine.ExitCode,
                Reason = machine.Reason,
            });
        }
    }

    /// <summary>Stops the machine if it still runs, releases it and deletes the machine's directory.</summary>
    public void Dispose()
    {
        listener.Dispose();
        EndStateWrites();
        StopForRemoval();
        machine.Dispose();
        removed.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
