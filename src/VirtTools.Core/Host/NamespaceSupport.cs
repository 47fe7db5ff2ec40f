namespace VirtTools.Host;

/// <summary>The namespace kinds this kernel offers and whether unprivileged users may make user namespaces.</summary>
/// <param name="Kinds">Entries of /proc/self/ns that are namespaces (the *_for_children links are left out).</param>
/// <param name="UnprivilegedUserNamespaces">True, false, or null when the settings could not be read.</param>
/// <param name="UserNamespaceReason">Which setting decided it.</param>
public sealed record NamespaceSupport(IReadOnlyList<string> Kinds, bool? UnprivilegedUserNamespaces, string UserNamespaceReason)
{
    public static NamespaceSupport Probe(string procRoot = "/proc")
    {
        var kinds = new List<string>();
        try
        {
            kinds.AddRange(new DirectoryInfo(Path.Combine(procRoot, "self", "ns")).EnumerateFileSystemInfos()
                .Select(f => f.Name)
                .Where(n => !n.EndsWith("_for_children", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        var (allowed, reason) = UserNamespacePolicy(Path.Combine(procRoot, "sys"));
        return new NamespaceSupport(kinds, allowed, reason);
    }

    private static (bool?, string) UserNamespacePolicy(string sys)
    {
        var max = ReadLong(Path.Combine(sys, "user", "max_user_namespaces"));
        if (max == 0)
        {
            return (false, "user.max_user_namespaces = 0");
        }
        // Debian's own switch (kernel.unprivileged_userns_clone), then Ubuntu's AppArmor restriction.
        var debian = ReadLong(Path.Combine(sys, "kernel", "unprivileged_userns_clone"));
        if (debian == 0)
        {
            return (false, "kernel.unprivileged_userns_clone = 0");
        }
        var apparmor = ReadLong(Path.Combine(sys, "kernel", "apparmor_restrict_unprivileged_userns"));
        if (apparmor == 1)
        {
            return (false, "kernel.apparmor_restrict_unprivileged_userns = 1");
        }
        if (max is null)
        {
            return (null, "user.max_user_namespaces could not be read");
        }
        return (true, debian == 1 ? $"kernel.unprivileged_userns_clone = 1, user.max_user_namespaces = {max}" : $"user.max_user_namespaces = {max}");
    }

    private static long? ReadLong(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), out var value) ? value : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
