using System.Diagnostics;
using System.Globalization;
using VirtTools.Diagnostics;

namespace VirtTools.Isolation;

/// <summary>
/// The virttools-container helper (src/VirtTools.ContainerHelper, C): everything between fork and
/// exec happens in it, never in this multi-threaded runtime. This class finds it and turns a spec
/// into its command line.
/// </summary>
public static class ContainerHelper
{
    public const string FileName = "virttools-container";

    /// <summary>Exit status of the helper when a set-up step failed (the message is in the state's exit file).</summary>
    public const int SetupFailed = 125;

    private static readonly Lazy<string> path = new(Locate);

    public static string Path => path.Value;

    private static string Locate()
    {
        // Beside VirtTools.Core.dll in the module (module/bin/deps); VIRTTOOLS_CONTAINER_HELPER for tests.
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("VIRTTOOLS_CONTAINER_HELPER") is { Length: > 0 } overridden)
        {
            candidates.Add(overridden);
        }
        var here = System.IO.Path.GetDirectoryName(typeof(ContainerHelper).Assembly.Location) ?? AppContext.BaseDirectory;
        candidates.Add(System.IO.Path.Combine(here, FileName));
        for (var directory = new DirectoryInfo(here); directory is not null; directory = directory.Parent)
        {
            candidates.Add(System.IO.Path.Combine(directory.FullName, "module/bin/deps", FileName));
        }
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new VirtToolsException("ContainerHelperMissing", VirtErrorKind.NotFound,
                $"The container helper '{FileName}' is missing beside {here}: rebuild the module with ./build.ps1 Build", FileName);
    }

    /// <summary>Arguments of <c>run</c>: a new container from <paramref name="spec"/>.</summary>
    public static List<string> RunArguments(ContainerSpec spec, string stateDirectory, IReadOnlyList<string> cgroups, bool detach, bool watchStdin, bool tty)
    {
        var args = new List<string> { "run", "--state", stateDirectory, "--rootfs", spec.RootFs };
        AddCommon(args, spec.Isolation, spec.Environment, spec.WorkingDirectory, spec.UserId, spec.GroupId, cgroups, watchStdin, tty);
        if (detach)
        {
            args.Add("--detach");
        }
        if (spec.Network == NetworkMode.Host)
        {
            args.Add("--host-network");
        }
        if (spec.Hostname is { } hostname)
        {
            args.AddRange(["--hostname", hostname]);
        }
        foreach (var volume in spec.Volumes)
        {
            args.AddRange(["--volume", $"{volume.Source}\n{volume.Target}\n{(volume.ReadOnly ? "ro" : "rw")}"]);
        }
        args.Add("--");
        args.AddRange(spec.Command);
        return args;
    }

    /// <summary>Arguments of <c>exec</c>: <paramref name="command"/> inside the running container whose init is <paramref name="initPid"/>.</summary>
    public static List<string> ExecArguments(ContainerState state, string stateDirectory, int initPid, string resultFile, IReadOnlyList<string> command,
        IReadOnlyDictionary<string, string> environment, string workingDirectory, bool watchStdin, bool tty)
    {
        var spec = state.Spec;
        var args = new List<string>
        {
            "exec", "--state", stateDirectory, "--join", initPid.ToString(CultureInfo.InvariantCulture),
            "--result", resultFile, "--runtime", "-",
        };
        AddCommon(args, spec.Isolation, environment, workingDirectory, spec.UserId, spec.GroupId, state.CgroupDirectories, watchStdin, tty);
        args.Add("--");
        args.AddRange(command);
        return args;
    }

    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments, bool redirect)
    {
        var start = new ProcessStartInfo(Path)
        {
            UseShellExecute = false,
            RedirectStandardInput = redirect,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }

    private static void AddCommon(List<string> args, IsolationLevel level, IReadOnlyDictionary<string, string> environment, string workingDirectory,
        int uid, int gid, IReadOnlyList<string> cgroups, bool watchStdin, bool tty)
    {
        args.AddRange(["--level", level.ToString().ToLowerInvariant(), "--cwd", workingDirectory,
            "--uid", uid.ToString(CultureInfo.InvariantCulture), "--gid", gid.ToString(CultureInfo.InvariantCulture)]);
        foreach (var (key, value) in environment)
        {
            args.AddRange(["--env", $"{key}={value}"]);
        }
        foreach (var cgroup in cgroups)
        {
            args.AddRange(["--cgroup", cgroup]);
        }
        if (watchStdin)
        {
            args.Add("--watch-stdin");
        }
        if (tty)
        {
            args.Add("--tty");
        }
    }
}
