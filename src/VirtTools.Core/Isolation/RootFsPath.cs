namespace VirtTools.Isolation;

/// <summary>
/// Resolves a path inside a root filesystem as the container will see it: absolute symlinks point
/// into the rootfs, not the host, and ".." never climbs above it.
/// </summary>
public static class RootFsPath
{
    /// <summary>The host path of <paramref name="path"/> under <paramref name="root"/>, or null when it does not exist.</summary>
    public static string? Resolve(string root, string path)
    {
        var parts = new List<string>();
        var pending = new Stack<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        for (var hops = 0; pending.Count > 0;)
        {
            var part = pending.Pop();
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            var host = Path.Combine(root, string.Join('/', parts.Append(part)));
            var info = new FileInfo(host);
            if (info.LinkTarget is { } target)
            {
                if (++hops > 40)
                {
                    return null; // ELOOP, as the kernel would say
                }
                if (target.StartsWith('/'))
                {
                    parts.Clear();
                }
                foreach (var piece in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.Push(piece);
                }
                continue;
            }
            if (!info.Exists && !Directory.Exists(host))
            {
                return null;
            }
            parts.Add(part);
        }
        return Path.Combine(root, string.Join('/', parts));
    }

    /// <summary>Finds <paramref name="command"/> as execvp would inside the rootfs, using <paramref name="searchPath"/>.</summary>
    public static string? FindCommand(string root, string command, string searchPath)
    {
        if (command.Contains('/'))
        {
            return Resolve(root, command) is { } found && File.Exists(found) ? command : null;
        }
        foreach (var directory in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = directory.TrimEnd('/') + "/" + command;
            if (Resolve(root, candidate) is { } found && File.Exists(found))
            {
                return candidate;
            }
        }
        return null;
    }
}
