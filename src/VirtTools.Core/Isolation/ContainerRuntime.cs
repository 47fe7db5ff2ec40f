using System.Diagnostics;
using Tmds.Linux;
using VirtTools.Cgroups;
using VirtTools.Diagnostics;

namespace VirtTools.Isolation;

/// <summary>
/// The container lifecycle over <see cref="ContainerStore"/> and the helper: create, start
/// (detached, monitored by the helper), run one command and collect its result, exec into a running
/// container, stop, wait, remove. Every failure cleans what the operation created.
/// </summary>
public sealed class ContainerRuntime(ContainerStore store)
{
    private static readonly Serilog.ILogger log = VirtLog.For<ContainerRuntime>();

    public ContainerRuntime() : this(new ContainerStore())
    {
    }

    public ContainerStore Store => store;

    /// <summary>Defines a container without starting it.</summary>
    public Container Create(ContainerSpec spec)
    {
        ContainerSpecValidator.RequireRoot();
        spec = ContainerSpecValidator.Validate(spec);
        store.Claim(spec.Name);
        try
        {
            store.Save(NewState(spec, oneShot: false));
        }
        catch
        {
            store.Delete(spec.Name);
            throw;
        }
        log.Information("Created container {Name} ({Isolation}) on {RootFs}", spec.Name, spec.Isolation, spec.RootFs);
        return store.Describe(spec.Name);
    }

    public Container Get(string name)
    {
        ContainerSpecValidator.RequireRoot();
        return store.Describe(name);
    }

    public IReadOnlyList<Container> List()
    {
        ContainerSpecValidator.RequireRoot();
        var containers = new List<Container>();
        foreach (var name in store.Names())
        {
            try
            {
                containers.Add(store.Describe(name));
            }
            catch (VirtToolsException e) when (e.ErrorId == "ContainerNotFound")
            {
                // Removed by another session while we listed.
            }
        }
        return containers;
    }

    /// <summary>Starts a created (or exited) container in the background; returns once its command runs.</summary>
    public Container Start(string name)
    {
        ContainerSpecValidator.RequireRoot();
        var container = store.Describe(name);
        if (container.Status is not (ContainerStatus.Created or ContainerStatus.Exited))
        {
            throw new VirtToolsException("ContainerNotStartable", VirtErrorKind.InvalidOperation,
                $"Container '{name}' is {container.Status}; only a Created or Exited container can be started", name);
        }
        var state = store.TryLoad(name) ?? throw ContainerStore.NotFound(name);
        store.ClearRun(name);
        state = WithCgroups(state);
        var arguments = ContainerHelper.RunArguments(state.Spec, store.DirectoryOf(name), state.CgroupDirectories, detach: true, watchStdin: false, tty: false);
        using (var helper = Process.Start(ContainerHelper.StartInfo(arguments, redirect: true))!)
        {
            helper.StandardInput.Close();
            var stderr = helper.StandardError.ReadToEndAsync();
            helper.StandardOutput.ReadToEnd();
            helper.WaitForExit();
            if (helper.ExitCode != 0)
            {
                var message = store.StartError(name) ?? stderr.Result.Trim();
                ReleaseCgroups(state);
                store.ClearRun(name);
                throw StartFailed(name, message);
            }
        }
        log.Information("Started container {Name}", name);
        return store.Describe(name);
    }

    /// <summary>
    /// Runs <paramref name="spec"/> as a one-shot container and returns how it ended; the container,
    /// its cgroups and its state are gone afterwards, also when it fails or is cancelled.
    /// </summary>
    public ContainerRunResult Run(ContainerSpec spec, CancellationToken cancellation = default)
    {
        ContainerSpecValidator.RequireRoot();
        spec = ContainerSpecValidator.Validate(spec);
        var stopwatch = Stopwatch.StartNew();
        store.Claim(spec.Name);
        var state = NewState(spec, oneShot: true);
        try
        {
            state = WithCgroups(state);
            var arguments = ContainerHelper.RunArguments(spec, store.DirectoryOf(spec.Name), state.CgroupDirectories, detach: false, watchStdin: true, tty: false);
            var (exitCode, output, error) = RunHelper(arguments, cancellation);
            var ended = store.Describe(spec.Name);
            if (ended.Status != ContainerStatus.Exited)
            {
                throw StartFailed(spec.Name, store.StartError(spec.Name) ?? $"the helper exited with {exitCode}: {string.Join(' ', error)}");
            }
            return Finished(spec.Name, ended.ExitCode ?? exitCode, output, error, state, stopwatch.Elapsed);
        }
        finally
        {
            ContainerCgroups.Remove(state.CgroupDirectories);
            store.Delete(spec.Name);
        }
    }

    /// <summary>Runs a command inside a running container (like <c>runc exec</c>) and returns how it ended.</summary>
    public ContainerRunResult Exec(string name, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment, string? workingDirectory,
        CancellationToken cancellation = default)
    {
        ContainerSpecValidator.RequireRoot();
        var (state, init) = Running(name);
        if (command.Count == 0)
        {
            throw new VirtToolsException("CommandMissing", VirtErrorKind.InvalidArgument, "Give the command to run in the container", name);
        }
        var stopwatch = Stopwatch.StartNew();
        var resultFile = $"exec-{Guid.NewGuid():N}";
        var env = new Dictionary<string, string>(state.Spec.Environment, StringComparer.Ordinal);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }
        var arguments = ContainerHelper.ExecArguments(state, store.DirectoryOf(name), init.Pid, resultFile, command, env,
            workingDirectory ?? state.Spec.WorkingDirectory, watchStdin: true, tty: false);
        var resultPath = Path.Combine(store.DirectoryOf(name), resultFile);
        try
        {
            var (exitCode, output, error) = RunHelper(arguments, cancellation);
            var result = File.Exists(resultPath) ? File.ReadAllText(resultPath).Trim() : null;
            if (result is null || result.StartsWith("error ", StringComparison.Ordinal))
            {
                throw new VirtToolsException("ContainerExecFailed", VirtErrorKind.DeviceError,
                    $"Running '{command[0]}' in container '{name}' failed: {result?["error ".Length..] ?? string.Join(' ', error)}", name);
            }
            return Finished(name, exitCode, output, error, state, stopwatch.Elapsed);
        }
        finally
        {
            File.Delete(resultPath);
        }
    }

    /// <summary>
    /// Runs an interactive command on a new pseudo-terminal inside a running container, wired to
    /// this process's terminal; returns its exit status. The helper relays keys (Ctrl+C included)
    /// and window size changes.
    /// </summary>
    public int Enter(string name, IReadOnlyList<string> command)
    {
        ContainerSpecValidator.RequireRoot();
        var (state, init) = Running(name);
        var resultFile = $"exec-{Guid.NewGuid():N}";
        var env = new Dictionary<string, string>(state.Spec.Environment, StringComparer.Ordinal)
        {
            ["TERM"] = Environment.GetEnvironmentVariable("TERM") ?? "xterm",
        };
        var arguments = ContainerHelper.ExecArguments(state, store.DirectoryOf(name), init.Pid, resultFile, command, env,
            state.Spec.WorkingDirectory, watchStdin: false, tty: true);
        var resultPath = Path.Combine(store.DirectoryOf(name), resultFile);
        try
        {
            using var helper = Process.Start(ContainerHelper.StartInfo(arguments, redirect: false))!;
            helper.WaitForExit();
            var result = File.Exists(resultPath) ? File.ReadAllText(resultPath).Trim() : null;
            if (result is not null && result.StartsWith("error ", StringComparison.Ordinal))
            {
                throw new VirtToolsException("ContainerExecFailed", VirtErrorKind.DeviceError, $"Entering container '{name}' failed: {result["error ".Length..]}", name);
            }
            return helper.ExitCode;
        }
        finally
        {
            File.Delete(resultPath);
        }
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="timeout"/>; <paramref name="force"/> kills at once.</summary>
    public Container Stop(string name, TimeSpan timeout, bool force)
    {
        ContainerSpecValidator.RequireRoot();
        var container = store.Describe(name);
        if (container.Status != ContainerStatus.Running || store.InitOf(name) is not { } init)
        {
            return container;
        }
        if (!force)
        {
            Signal(init, LibC.SIGTERM);
            if (WaitUntilNotRunning(name, timeout))
            {
                log.Information("Container {Name} stopped on SIGTERM", name);
                return store.Describe(name);
            }
            log.Information("Container {Name} ignored SIGTERM for {Timeout}; sending SIGKILL", name, timeout);
        }
        Signal(init, LibC.SIGKILL);
        // At Chroot level the init's children are not in its pid namespace and outlive it.
        foreach (var directory in container.CgroupDirectories)
        {
            KillAll(directory);
        }
        if (!WaitUntilNotRunning(name, TimeSpan.FromSeconds(10)))
        {
            throw new VirtToolsException("StopTimeout", VirtErrorKind.Timeout, $"Container '{name}' is still running 10 s after SIGKILL", name);
        }
        return store.Describe(name);
    }

    /// <summary>Waits until the container is no longer running; false when <paramref name="timeout"/> passed first.</summary>
    public bool Wait(string name, TimeSpan? timeout, CancellationToken cancellation = default)
    {
        ContainerSpecValidator.RequireRoot();
        store.Describe(name);
        return WaitUntilNotRunning(name, timeout ?? Timeout.InfiniteTimeSpan, cancellation);
    }

    /// <summary>Deletes a container's cgroups and state; a running one needs <paramref name="force"/> (then it is killed).</summary>
    public void Remove(string name, bool force)
    {
        ContainerSpecValidator.RequireRoot();
        var container = store.Describe(name);
        if (container.Status == ContainerStatus.Running)
        {
            if (!force)
            {
                throw new VirtToolsException("ContainerRunning", VirtErrorKind.ResourceBusy,
                    $"Container '{name}' is running; stop it first or use -Force", name);
            }
            Stop(name, TimeSpan.Zero, force: true);
        }
        if (container.Status == ContainerStatus.Stale && store.InitOf(name) is { } init && init.IsAlive)
        {
            // The monitor died but the command lives on (the monitor was killed on its own): end it.
            Signal(init, LibC.SIGKILL);
        }
        ContainerCgroups.Remove(container.CgroupDirectories);
        store.Delete(name);
        log.Information("Removed container {Name}", name);
    }

    private (ContainerState State, ProcessIdentity Init) Running(string name)
    {
        var container = store.Describe(name);
        if (container.Status != ContainerStatus.Running || store.InitOf(name) is not { } init || store.TryLoad(name) is not { } state)
        {
            throw new VirtToolsException("ContainerNotRunning", VirtErrorKind.InvalidOperation, $"Container '{name}' is {container.Status}, not Running", name);
        }
        return (state, init);
    }

    /// <summary>How a run or an exec ended, with the OOM verdict and peak read from the container's cgroups.</summary>
    private static ContainerRunResult Finished(string name, int exitCode, string[] output, string[] error, ContainerState state, TimeSpan duration) => new()
    {
        Name = name,
        ExitCode = exitCode,
        Output = output,
        Error = error,
        OomKilled = ContainerCgroups.OomKilled(state.CgroupDirectories),
        PeakMemory = ContainerCgroups.PeakMemory(state.CgroupDirectories),
        Duration = duration,
    };

    private (int ExitCode, string[] Output, string[] Error) RunHelper(List<string> arguments, CancellationToken cancellation)
    {
        using var helper = Process.Start(ContainerHelper.StartInfo(arguments, redirect: true))!;
        // Killing the helper is enough: the container's init has PR_SET_PDEATHSIG(SIGKILL), and
        // killing PID 1 of a pid namespace takes every process in it along.
        using var registration = cancellation.Register(() =>
        {
            try
            {
                helper.Kill();
            }
            catch (InvalidOperationException)
            {
            }
        });
        var output = helper.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = helper.StandardError.ReadToEndAsync(CancellationToken.None);
        helper.WaitForExit();
        var outText = output.GetAwaiter().GetResult();
        var errText = error.GetAwaiter().GetResult();
        helper.StandardInput.Close();
        cancellation.ThrowIfCancellationRequested();
        return (helper.ExitCode, Lines(outText), Lines(errText));
    }

    private ContainerState NewState(ContainerSpec spec, bool oneShot)
    {
        var self = Environment.ProcessId;
        return new ContainerState
        {
            Spec = spec,
            Created = DateTimeOffset.UtcNow,
            BootId = ContainerStore.CurrentBootId,
            OneShot = oneShot,
            CreatorPid = self,
            CreatorStartTime = ProcessIdentity.ReadStartTime(self) ?? 0,
        };
    }

    /// <summary>Creates the cgroups the level or the limits call for and records them before any process joins.</summary>
    private ContainerState WithCgroups(ContainerState state)
    {
        var spec = state.Spec;
        IReadOnlyList<string> groups = spec.Isolation == IsolationLevel.Container || !spec.Limits.IsEmpty
            ? ContainerCgroups.Create(spec.Name, spec.Limits, CgroupManager.ForCurrentProcess())
            : [];
        state = state with { CgroupDirectories = groups };
        try
        {
            store.Save(state);
        }
        catch
        {
            ContainerCgroups.Remove(groups);
            throw;
        }
        return state;
    }

    private void ReleaseCgroups(ContainerState state)
    {
        ContainerCgroups.Remove(state.CgroupDirectories);
        if (store.Exists(state.Spec.Name) && state.CgroupDirectories.Count > 0)
        {
            store.Save(state with { CgroupDirectories = [] });
        }
    }

    private bool WaitUntilNotRunning(string name, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var stopwatch = Stopwatch.StartNew();
        while (store.Describe(name).Status == ContainerStatus.Running)
        {
            if (timeout != Timeout.InfiniteTimeSpan && stopwatch.Elapsed >= timeout)
            {
                return false;
            }
            cancellation.ThrowIfCancellationRequested();
            Thread.Sleep(10);
        }
        return true;
    }

    private static void Signal(ProcessIdentity process, int signal)
    {
        // The start time check keeps a recycled pid from receiving the signal.
        if (process.IsAlive)
        {
            _ = LibC.kill(process.Pid, signal);
        }
    }

    private static void KillAll(string cgroupDirectory)
    {
        var procs = Path.Combine(cgroupDirectory, "cgroup.procs");
        if (!File.Exists(procs))
        {
            return;
        }
        foreach (var line in File.ReadAllLines(procs))
        {
            if (int.TryParse(line, out var pid))
            {
                _ = LibC.kill(pid, LibC.SIGKILL);
            }
        }
    }

    private static VirtToolsException StartFailed(string name, string message) =>
        new("ContainerStartFailed", VirtErrorKind.DeviceError, $"Container '{name}' did not start: {message}", name);

    private static string[] Lines(string text) =>
        text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
}
