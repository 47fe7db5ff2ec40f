using System.Text.RegularExpressions;
using VirtTools.Diagnostics;

namespace VirtTools.Isolation;

/// <summary>
/// Checks a spec before anything is created, so that bad input fails with a clear message and
/// leaves nothing behind; fills in the defaults (full rootfs path, PATH and HOME).
/// </summary>
public static partial class ContainerSpecValidator
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex HostnamePattern();

    /// <summary>Containers need root: namespaces, mounts, pivot_root and cgroups are privileged.</summary>
    public static void RequireRoot()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new VirtToolsException("NotRoot", VirtErrorKind.PermissionDenied,
                "Containers need root (euid 0): namespaces, mounts, pivot_root and cgroups are privileged. Run pwsh as root, e.g. 'sudo pwsh'.", null);
        }
    }

    public static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw new VirtToolsException("InvalidName", VirtErrorKind.InvalidArgument,
                $"Invalid container name '{name}': use 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit", name);
        }
    }

    public static ContainerSpec Validate(ContainerSpec spec)
    {
        ValidateName(spec.Name);
        var rootfs = Path.GetFullPath(spec.RootFs);
        if (!Directory.Exists(rootfs))
        {
            throw new VirtToolsException("RootFsNotFound", VirtErrorKind.NotFound,
                $"Root filesystem '{rootfs}' does not exist (build one with New-VirtRootFs)", rootfs);
        }
        if (spec.Command.Count == 0 || spec.Command[0].Length == 0)
        {
            throw new VirtToolsException("CommandMissing", VirtErrorKind.InvalidArgument, "Give the command to run in the container", spec.Name);
        }
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = ContainerSpec.DefaultPath,
            ["HOME"] = spec.UserId == 0 ? "/root" : "/",
        };
        if (spec.Hostname is { } hostname)
        {
            environment["HOSTNAME"] = hostname;
        }
        foreach (var (key, value) in spec.Environment)
        {
            if (key.Length == 0 || key.Contains('='))
            {
                throw new VirtToolsException("InvalidEnvironment", VirtErrorKind.InvalidArgument, $"Invalid environment variable name '{key}'", key);
            }
            environment[key] = value;
        }
        if (RootFsPath.FindCommand(rootfs, spec.Command[0], environment["PATH"]) is null)
        {
            throw new VirtToolsException("CommandNotFound", VirtErrorKind.NotFound,
                $"Command '{spec.Command[0]}' is not in the root filesystem '{rootfs}' (searched {environment["PATH"]}); add it with New-VirtRootFs -Command", spec.Command[0]);
        }
        if (spec.Hostname is { } name && (name.Length > 64 || !HostnamePattern().IsMatch(name)))
        {
            throw new VirtToolsException("InvalidHostname", VirtErrorKind.InvalidArgument, $"Invalid hostname '{name}'", name);
        }
        if (spec.Isolation == IsolationLevel.Chroot)
        {
            // Without a mount and uts namespace these would change the host itself.
            if (spec.Hostname is not null)
            {
                throw new VirtToolsException("HostnameNeedsNamespaces", VirtErrorKind.InvalidArgument,
                    "-Hostname needs -Isolation Namespaces or Container: a chroot shares the host's hostname", spec.Name);
            }
            if (spec.Volumes.Count > 0)
            {
                throw new VirtToolsException("VolumeNeedsNamespaces", VirtErrorKind.InvalidArgument,
                    "-Volume needs -Isolation Namespaces or Container: without a mount namespace the bind mounts would appear on the host", spec.Name);
            }
        }
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var volume in spec.Volumes)
        {
            if (!targets.Add(volume.Target.TrimEnd('/')))
            {
                throw new VirtToolsException("InvalidVolume", VirtErrorKind.InvalidArgument, $"Invalid volume '{volume}': '{volume.Target}' is mounted twice", volume.ToString());
            }
        }
        if (!spec.WorkingDirectory.StartsWith('/'))
        {
            throw new VirtToolsException("InvalidWorkingDirectory", VirtErrorKind.InvalidArgument, $"The working directory '{spec.WorkingDirectory}' must be absolute", spec.WorkingDirectory);
        }
        if (spec.Limits.MemoryBytes is < 4096 || spec.Limits.Pids is < 1 || spec.Limits.Cpus is <= 0)
        {
            throw new VirtToolsException("InvalidLimit", VirtErrorKind.InvalidArgument, "Limits must be positive (memory at least one page)", spec.Limits);
        }
        return spec with { RootFs = rootfs, Environment = environment };
    }

    /// <summary>A user given as a number or a name from the rootfs's /etc/passwd, with its primary group.</summary>
    public static (int Uid, int Gid) ResolveUser(string rootfs, string? user, string? group)
    {
        var uid = 0;
        var gid = 0;
        if (user is { Length: > 0 })
        {
            var entry = Lookup(Path.Combine(rootfs, "etc/passwd"), user, 2);
            if (entry is not null)
            {
                uid = int.Parse(entry[2]);
                gid = int.Parse(entry[3]);
            }
            else if (!int.TryParse(user, out uid) || uid < 0)
            {
                throw new VirtToolsException("UserNotFound", VirtErrorKind.NotFound, $"User '{user}' is neither a number nor in the root filesystem's /etc/passwd", user);
            }
        }
        if (group is { Length: > 0 })
        {
            var entry = Lookup(Path.Combine(rootfs, "etc/group"), group, 2);
            if (entry is not null)
            {
                gid = int.Parse(entry[2]);
            }
            else if (!int.TryParse(group, out gid) || gid < 0)
            {
                throw new VirtToolsException("GroupNotFound", VirtErrorKind.NotFound, $"Group '{group}' is neither a number nor in the root filesystem's /etc/group", group);
            }
        }
        return (uid, gid);
    }

    private static string[]? Lookup(string file, string name, int idField)
    {
        if (!File.Exists(file))
        {
            return null;
        }
        return File.ReadLines(file).Select(l => l.Split(':')).FirstOrDefault(f => f.Length > idField + 1 && f[0] == name);
    }
}
