using System.Text.RegularExpressions;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Remote;

/// <summary>
/// Where VMM processes keep their host-wide state: /run/virttools/machines/&lt;name&gt;/ holds
/// config.json (the machine as created), state.json, the control socket and vmm.log.
/// VIRTTOOLS_RUN_DIR moves the root (tests that must not share the host's machines).
/// </summary>
public static partial class VmmPaths
{
    public static string Root => Path.Combine(Environment.GetEnvironmentVariable("VIRTTOOLS_RUN_DIR") is { Length: > 0 } run ? run : "/run/virttools", "machines");

    public static string MachineDirectory(string name) => Path.Combine(Root, CheckName(name));

    public static string StateFile(string directory) => Path.Combine(directory, "state.json");

    public static string ConfigFile(string directory) => Path.Combine(directory, "config.json");

    public static string Socket(string directory) => Path.Combine(directory, "control.sock");

    public static string LogFile(string directory) => Path.Combine(directory, "vmm.log");

    /// <summary>
    /// Where a forced removal moves a machine's directory before it ends the VMM: beside the others,
    /// with a name no machine can have (a leading '.'), so listings skip it.
    /// </summary>
    public static string Doomed(string directory) =>
        Path.Combine(Path.GetDirectoryName(directory)!, $".removing-{Path.GetFileName(directory)}-{Guid.NewGuid():N}");

    /// <summary>The name becomes a directory name, so it is limited to a safe alphabet.</summary>
    public static string CheckName(string name) => SafeName().IsMatch(name) ? name
        : throw new VirtToolsException("MachineNameInvalid", VirtErrorKind.InvalidArgument,
            $"machine name '{name}' must be 1-64 letters, digits, '.', '_' or '-' (not starting with '.') to run in its own process", name);

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex SafeName();
}
