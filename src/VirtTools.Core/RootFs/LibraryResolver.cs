namespace VirtTools.RootFs;

/// <summary>
/// Finds the files the dynamic loader would load for a program, following ld.so(8)'s search order:
/// DT_RPATH (when there is no DT_RUNPATH), DT_RUNPATH, the directories of /etc/ld.so.conf, then the
/// default directories. $ORIGIN expands to the directory of the object that names the library.
/// LD_LIBRARY_PATH is ignored on purpose: the rootfs must not depend on the caller's environment.
/// </summary>
public sealed class LibraryResolver
{
    private static readonly string[] defaultDirectories =
    [
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
    ];

    private readonly IReadOnlyList<string> configuredDirectories;

    public LibraryResolver(IReadOnlyList<string>? configuredDirectories = null) =>
        this.configuredDirectories = configuredDirectories ?? ReadLdSoConf("/etc/ld.so.conf");

    /// <summary>
    /// The program itself, its interpreter and every library it needs, recursively, as absolute host
    /// paths in load order. Names that cannot be found are returned in <paramref name="missing"/>.
    /// </summary>
    public IReadOnlyList<string> Closure(string program, out IReadOnlyList<string> missing)
    {
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var notFound = new List<string>();
        var queue = new Queue<string>();
        queue.Enqueue(program);
        seen.Add(program);
        while (queue.Count > 0)
        {
            var path = queue.Dequeue();
            result.Add(path);
            if (!ElfFile.IsElf(path))
            {
                continue;
            }
            var elf = ElfFile.Read(path);
            if (elf.Interpreter is { } interpreter && seen.Add(interpreter))
            {
                queue.Enqueue(interpreter);
            }
            foreach (var name in elf.Needed)
            {
                var found = Find(name, elf, Path.GetDirectoryName(path)!);
                if (found is null)
                {
                    notFound.Add(name);
                }
                else if (seen.Add(found))
                {
                    queue.Enqueue(found);
                }
            }
        }
        missing = notFound;
        return result;
    }

    /// <summary>Where the loader would find <paramref name="name"/> needed by <paramref name="by"/>.</summary>
    public string? Find(string name, ElfFile by, string origin)
    {
        if (name.Contains('/'))
        {
            return File.Exists(name) ? name : null;
        }
        var search = (by.RunPath.Count == 0 ? by.RPath : []).Concat(by.RunPath)
            .Select(d => d.Replace("$ORIGIN", origin).Replace("${ORIGIN}", origin))
            .Concat(configuredDirectories)
            .Concat(defaultDirectories);
        foreach (var directory in search)
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Directories from ld.so.conf, following its include lines (globs in one directory).</summary>
    public static IReadOnlyList<string> ReadLdSoConf(string path)
    {
        var directories = new List<string>();
        Read(path, 0);
        return directories;

        void Read(string file, int depth)
        {
            if (depth > 8 || !File.Exists(file))
            {
                return;
            }
            foreach (var raw in File.ReadAllLines(file))
            {
                var line = raw.Split('#')[0].Trim();
                if (line.Length == 0)
                {
                    continue;
                }
                if (line.StartsWith("include ", StringComparison.Ordinal))
                {
                    var pattern = line["include ".Length..].Trim();
                    var directory = Path.GetDirectoryName(pattern)!;
                    if (!Directory.Exists(directory))
                    {
                        continue;
                    }
                    foreach (var included in Directory.GetFiles(directory, Path.GetFileName(pattern)).Order(StringComparer.Ordinal))
                    {
                        Read(included, depth + 1);
                    }
                }
                else if (line.StartsWith('/'))
                {
                    directories.Add(line);
                }
            }
        }
    }
}
