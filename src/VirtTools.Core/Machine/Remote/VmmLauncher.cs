using System.Diagnostics;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Remote;

/// <summary>
/// Starts a machine's VMM process (VirtTools.Vmm &lt;directory&gt;, in its own session so a
/// terminal's Ctrl+C or the creating pwsh's exit does not end it) and waits until it serves its socket.
/// </summary>
public static class VmmLauncher
{
    private static readonly Serilog.ILogger Log = VirtLog.For(nameof(VmmLauncher));

    public static TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public static RemoteMachine Launch(MachineConfig config)
    {
        var directory = VmmPaths.MachineDirectory(config.Name);
        if (Directory.Exists(directory))
        {
            var existing = new RemoteMachine(directory, VmmState.TryRead(directory));
            throw new VirtToolsException("MachineExists", VirtErrorKind.AlreadyExists, existing.IsStarting
                ? $"a machine named '{config.Name}' is being built by another session's VMM process"
                : existing.IsAlive
                ? $"a machine named '{config.Name}' already runs in VMM process {existing.LastState!.Pid}"
                : $"stale state of a machine named '{config.Name}' is in {directory}; Remove-VirtMachine cleans it", config.Name);
        }
        Directory.CreateDirectory(directory);
        VmmJson.WriteFileAtomically(VmmPaths.ConfigFile(directory), config);

        string[] command = [.. VmmCommand(), directory];
        var setsid = File.Exists("/usr/bin/setsid");
        var start = new ProcessStartInfo(setsid ? "/usr/bin/setsid" : command[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in setsid ? command : command[1..])
        {
            start.ArgumentList.Add(argument);
        }
        // One malloc arena, not one per thread: each arena is two more memory mappings, and
        // KVM_CREATE_VM locks every mapping of the VMM (docs/machine.md, Performance).
        start.Environment["MALLOC_ARENA_MAX"] = "1";
        Log.Debug("starting {Vmm} for {Machine}", string.Join(' ', command), config.Name);
        Process? started;
        try
        {
            started = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            started = null;
            Log.Debug(e, "starting {Vmm} failed", command[0]);
        }
        if (started is null)
        {
            // Nothing of this machine may stay behind: its directory holds only config.json so far.
            Directory.Delete(directory, recursive: true);
            throw new VirtToolsException("VmmStartFailed", VirtErrorKind.DeviceError,
                $"could not start the VMM process ({command[0]}); rebuild the module, or set VIRTTOOLS_VMM=dotnet", config.Name);
        }
        using var process = started;
        // The VMM logs to vmm.log; closing our ends keeps it from depending on this process's lifetime.
        process.StandardInput.Close();
        process.StandardOutput.Close();
        process.StandardError.Close();
        // Starting from now on, host-wide: the VMM needs milliseconds (native) or a second or two (JIT)
        // before it writes state.json itself, and a directory without one would read as stale.
        // setsid execs the VMM in the same process, so this pid is the VMM's. The VMM's own writes win.
        VmmJson.WriteFileIfAbsent(VmmPaths.StateFile(directory), VmmState.Starting(config, process.Id));
        return WaitReady(directory, config.Name, process);
    }

    private static RemoteMachine WaitReady(string directory, string name, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ReadyTimeout)
        {
            if (!Directory.Exists(directory))
            {
                process.WaitForExit(5000);
                throw RemovedWhileStarting(name);
            }
            var state = VmmState.TryRead(directory);
            if (state is { ErrorId: not null })
            {
                process.WaitForExit(5000);
                Directory.Delete(directory, recursive: true);
                throw new VirtToolsException(state.ErrorId, state.ErrorKind, state.Reason ?? "the VMM process failed", state.ErrorTarget ?? name);
            }
            if (state is { State: not MachineState.Starting } && File.Exists(VmmPaths.Socket(directory)))
            {
                return new RemoteMachine(directory, state);
            }
            if (process.HasExited)
            {
                if (!Directory.Exists(directory))
                {
                    throw RemovedWhileStarting(name);
                }
                var log = File.Exists(VmmPaths.LogFile(directory)) ? File.ReadAllText(VmmPaths.LogFile(directory)) : "";
                Directory.Delete(directory, recursive: true);
                throw new VirtToolsException("VmmStartFailed", VirtErrorKind.DeviceError,
                    $"the VMM process exited with code {process.ExitCode} before serving its socket: {log.Trim()}", name);
            }
            Thread.Sleep(20);
        }
        throw new VirtToolsException("VmmStartTimeout", VirtErrorKind.Timeout,
            $"the VMM process of machine '{name}' did not serve its socket within {ReadyTimeout.TotalSeconds:0} s (see {VmmPaths.LogFile(directory)})", name);
    }

    /// <summary>Another session's Remove-VirtMachine -Force took the machine while its VMM was building it.</summary>
    private static VirtToolsException RemovedWhileStarting(string name) =>
        new("MachineRemovedWhileStarting", VirtErrorKind.InvalidOperation,
            $"machine '{name}' was removed (Remove-VirtMachine -Force) while its VMM process was building it", name);

    /// <summary>
    /// The VMM's command line but the machine directory: the native VirtTools.Vmm (NativeAOT; its
    /// project file says why) when the build made one, else dotnet VirtTools.Vmm.dll. VIRTTOOLS_VMM=dotnet
    /// picks the latter anyway: to attach a managed debugger, or to compare the two.
    /// </summary>
    internal static string[] VmmCommand()
    {
        var folder = Path.GetDirectoryName(typeof(VmmLauncher).Assembly.Location)!;
        var native = Path.Combine(folder, "VirtTools.Vmm");
        return !string.Equals(Environment.GetEnvironmentVariable("VIRTTOOLS_VMM"), "dotnet", StringComparison.OrdinalIgnoreCase) && File.Exists(native)
            ? [native]
            : [DotnetPath(), Path.Combine(folder, "VirtTools.Vmm.dll")];
    }

    /// <summary>The dotnet host running this process when there is one (pwsh as a local tool), else the one on PATH.</summary>
    private static string DotnetPath() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
