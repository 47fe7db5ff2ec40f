namespace VirtTools.Host;

/// <summary>Whether this process runs inside a container, which kind, and the evidence.</summary>
/// <param name="Name">docker, podman, lxc, systemd-nspawn, virttools, ... or null when none was found.</param>
/// <param name="Evidence">The file or variable that told us.</param>
public sealed record ContainerInfo(string? Name, string? Evidence)
{
    /// <summary>Marker our own containers carry at their root (written by the container set-up).</summary>
    public const string OwnMarker = "/run/.virttools-container";

    /// <summary>
    /// Detects a container the way systemd-detect-virt does, in the same order: PID 1's
    /// <c>container=</c> variable, /run/systemd/container, then the runtimes' marker files.
    /// <paramref name="unchecked"/> receives the evidence we were not allowed to read.
    /// </summary>
    public static ContainerInfo Detect(ICollection<string> @unchecked, string root = "/")
    {
        string At(string path) => Path.Combine(root, path.TrimStart('/'));

        if (File.Exists(At(OwnMarker)))
        {
            return new ContainerInfo("virttools", OwnMarker);
        }
        try
        {
            var environ = File.ReadAllText(At("/proc/1/environ"));
            foreach (var entry in environ.Split('\0'))
            {
                if (entry.StartsWith("container=", StringComparison.Ordinal))
                {
                    return new ContainerInfo(Normalize(entry["container=".Length..]), "/proc/1/environ");
                }
            }
        }
        catch (UnauthorizedAccessException)
        {
            @unchecked.Add("/proc/1/environ (the container= variable of PID 1) is not readable");
        }
        catch (IOException)
        {
        }
        var systemdMarker = ReadTrimmed(At("/run/systemd/container"));
        if (!string.IsNullOrEmpty(systemdMarker))
        {
            return new ContainerInfo(Normalize(systemdMarker), "/run/systemd/container");
        }
        if (File.Exists(At("/run/.containerenv")))
        {
            return new ContainerInfo("podman", "/run/.containerenv");
        }
        if (File.Exists(At("/.dockerenv")))
        {
            return new ContainerInfo("docker", "/.dockerenv");
        }
        return new ContainerInfo(null, null);
    }

    private static string Normalize(string value) => value switch
    {
        "oci" => "docker",
        "lxc-libvirt" => "lxc",
        _ => value,
    };

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
