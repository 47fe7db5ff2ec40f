using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tmds.Linux;
using VirtTools.Diagnostics;

namespace VirtTools.Isolation;

/// <summary>
/// Host-wide container state, daemonless: one directory per container under /run/virttools/containers
/// (a tmpfs, so a reboot clears it). config.json is written here; the monitor helper writes
/// <c>runtime</c> (monitor and init pids with start times) and <c>exit</c> (how it ended). Any pwsh
/// reads the same files, so a container started in one session is listed and stopped from another.
/// </summary>
public sealed class ContainerStore(string root = ContainerStore.DefaultRoot)
{
    public const string DefaultRoot = "/run/virttools/containers";

    private static readonly JsonSerializerOptions json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public string Root => root;

    public string DirectoryOf(string name) => Path.Combine(root, name);

    /// <summary>Claims the name with mkdir(2), which fails atomically when another pwsh holds it.</summary>
    public unsafe string Claim(string name)
    {
        Directory.CreateDirectory(root);
        var directory = DirectoryOf(name);
        var bytes = Encoding.UTF8.GetBytes(directory + "\0");
        fixed (byte* p = bytes)
        {
            if (LibC.mkdir(p, 0b111_000_000) != 0)
            {
                var errno = Errno.Last;
                // errno can be clobbered by the runtime between the call and the read: existence decides.
                throw errno == Errno.EEXIST || Directory.Exists(directory)
                    ? new VirtToolsException("ContainerExists", VirtErrorKind.AlreadyExists, $"A container named '{name}' already exists", name)
                    : Errno.Failure($"mkdir '{directory}'", errno, "StateDirectoryFailed", directory);
            }
        }
        return directory;
    }

    public void Save(ContainerState state)
    {
        var directory = DirectoryOf(state.Spec.Name);
        var temporary = Path.Combine(directory, ".config.json.tmp");
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(state, json));
        File.Move(temporary, Path.Combine(directory, "config.json"), overwrite: true);
    }

    public ContainerState? TryLoad(string name)
    {
        try
        {
            return JsonSerializer.Deserialize<ContainerState>(File.ReadAllBytes(Path.Combine(DirectoryOf(name), "config.json")), json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public bool Exists(string name) => Directory.Exists(DirectoryOf(name));

    public IReadOnlyList<string> Names() =>
        Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Reads a container's definition and works out its status from the helper's files and /proc.</summary>
    public Container Describe(string name)
    {
        var directory = DirectoryOf(name);
        if (!Directory.Exists(directory))
        {
            throw NotFound(name);
        }
        var state = TryLoad(name);
        if (state is null)
        {
            // A creator that died between claiming the name and writing config.json.
            return new Container { Name = name, Status = ContainerStatus.Stale, RootFs = "", Command = [], StateDirectory = directory };
        }
        var runtimeFile = Path.Combine(directory, "runtime");
        var exitFile = Path.Combine(directory, "exit");
        var runtime = ReadLines(runtimeFile);
        var exit = ReadLines(exitFile)?.FirstOrDefault();
        var monitor = ProcessIdentity.Parse(runtime?.FirstOrDefault(l => l.StartsWith("monitor ", StringComparison.Ordinal)));
        var init = ProcessIdentity.Parse(runtime?.FirstOrDefault(l => l.StartsWith("init ", StringComparison.Ordinal)));

        ContainerStatus status;
        int? exitCode = null, signal = null;
        if (exit is not null && !exit.StartsWith("error ", StringComparison.Ordinal))
        {
            status = ContainerStatus.Exited;
            var parts = exit.Split(' ');
            if (parts is ["signaled", var s] && int.TryParse(s, out var sig))
            {
                signal = sig;
                exitCode = 128 + sig;
            }
            else if (parts is ["exited", var c] && int.TryParse(c, out var code))
            {
                exitCode = code;
            }
        }
        else if (state.BootId != CurrentBootId)
        {
            status = ContainerStatus.Stale;
        }
        else if (monitor is { } m)
        {
            status = m.IsAlive ? ContainerStatus.Running : ContainerStatus.Stale;
        }
        else
        {
            var creator = new ProcessIdentity(state.CreatorPid, state.CreatorStartTime);
            status = state.OneShot && !creator.IsAlive ? ContainerStatus.Stale : ContainerStatus.Created;
        }

        return new Container
        {
            Name = name,
            Status = status,
            Isolation = state.Spec.Isolation,
            Network = state.Spec.Network,
            RootFs = state.Spec.RootFs,
            Command = state.Spec.Command,
            Hostname = state.Spec.Hostname,
            Pid = status == ContainerStatus.Running ? init?.Pid : null,
            MonitorPid = status == ContainerStatus.Running ? monitor?.Pid : null,
            ExitCode = exitCode,
            Signal = signal,
            Created = state.Created,
            Started = runtime is null ? null : File.GetLastWriteTimeUtc(runtimeFile),
            Finished = status == ContainerStatus.Exited ? File.GetLastWriteTimeUtc(exitFile) : null,
            Limits = state.Spec.Limits,
            OneShot = state.OneShot,
            StateDirectory = directory,
            CgroupDirectories = state.CgroupDirectories,
        };
    }

    /// <summary>The init process named in the runtime file, if the helper wrote one.</summary>
    public ProcessIdentity? InitOf(string name) =>
        ProcessIdentity.Parse(ReadLines(Path.Combine(DirectoryOf(name), "runtime"))?.FirstOrDefault(l => l.StartsWith("init ", StringComparison.Ordinal)));

    /// <summary>The monitor helper named in the runtime file, if it wrote one.</summary>
    public ProcessIdentity? MonitorOf(string name) =>
        ProcessIdentity.Parse(ReadLines(Path.Combine(DirectoryOf(name), "runtime"))?.FirstOrDefault(l => l.StartsWith("monitor ", StringComparison.Ordinal)));

    /// <summary>
    /// The identity and modification time of a container's state directory (one stat(2)), or null
    /// when it is gone. Every state file is replaced by rename(2) or deleted, never rewritten in
    /// place (config.json by <see cref="Save"/>, runtime and exit by the helper), so each change of
    /// <see cref="Describe"/>'s inputs moves the directory's mtime; a removed and recreated
    /// container has a new directory inode.
    /// </summary>
    public unsafe StateDirectoryStamp? StampOf(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(DirectoryOf(name) + "\0");
        stat st;
        fixed (byte* p = bytes)
        {
            if (LibC.stat(p, &st) != 0)
            {
                return null;
            }
        }
        return new StateDirectoryStamp((ulong)st.st_dev, (ulong)st.st_ino, (long)st.st_mtim.tv_sec * 1_000_000_000L + (long)st.st_mtim.tv_nsec);
    }

    /// <summary>The set-up error the helper recorded, if the last start failed.</summary>
    public string? StartError(string name) =>
        ReadLines(Path.Combine(DirectoryOf(name), "exit"))?.FirstOrDefault() is { } line && line.StartsWith("error ", StringComparison.Ordinal)
            ? line["error ".Length..]
            : null;

    /// <summary>Forgets a previous run: runtime, exit and output files.</summary>
    public void ClearRun(string name)
    {
        foreach (var file in new[] { "runtime", "exit" })
        {
            File.Delete(Path.Combine(DirectoryOf(name), file));
        }
    }

    public void Delete(string name)
    {
        var directory = DirectoryOf(name);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public static string CurrentBootId { get; } = ReadBootId();

    public static VirtToolsException NotFound(string name) =>
        new("ContainerNotFound", VirtErrorKind.NotFound, $"No container named '{name}'", name);

    private static string ReadBootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string[]? ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
