using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using VirtTools.Diagnostics;

namespace VirtTools.RootFs;

/// <summary>
/// Builds a root filesystem with no download: host programs with the shared libraries their ELF
/// dynamic sections name (and the interpreter), the host's static busybox, or a rootfs tarball;
/// then /etc basics and empty mount points for /proc, /sys, /dev and /tmp.
/// </summary>
public sealed class RootFsBuilder(IProgressSink progress)
{
    private static readonly Serilog.ILogger log = VirtLog.For<RootFsBuilder>();

    /// <summary>Top-level directories that merged-/usr hosts make symlinks (/bin -> usr/bin); mirrored so paths agree.</summary>
    private static readonly string[] mergedUsrLinks = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

    private static readonly string[] searchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    private readonly LibraryResolver resolver = new();

    public RootFsInfo Build(RootFsOptions options)
    {
        var root = System.IO.Path.GetFullPath(options.Path);
        var activity = $"Building root filesystem {root}";
        if (options.Commands.Count == 0 && !options.Busybox && options.Tarball is null)
        {
            throw new VirtToolsException("NothingToBuild", VirtErrorKind.InvalidArgument, "Give -Command, -Busybox or -FromTarball: an empty root filesystem runs nothing", root);
        }
        // Resolve everything before touching the disk, so a bad name leaves nothing behind.
        var programs = options.Commands.Select(c => (Name: c, Path: FindProgram(c))).ToList();
        var busybox = options.Busybox ? FindBusybox() : null;
        if (options.Tarball is { } tarball && !File.Exists(tarball))
        {
            throw new VirtToolsException("TarballNotFound", VirtErrorKind.NotFound, $"Tarball '{tarball}' does not exist", tarball);
        }
        Prepare(root, options.Force);

        var copied = new List<string>();
        var commands = new List<string>();
        if (options.Tarball is not null)
        {
            ExtractTarball(options.Tarball, root, activity);
        }
        MirrorMergedUsr(root);
        for (var i = 0; i < programs.Count; i++)
        {
            var (name, path) = programs[i];
            progress.Report(activity, $"Copying {path} and its libraries", programs.Count == 0 ? -1 : 10 + 70 * i / programs.Count);
            var closure = resolver.Closure(path, out var missing);
            if (missing.Count > 0)
            {
                throw new VirtToolsException("LibraryNotFound", VirtErrorKind.NotFound,
                    $"'{path}' needs {string.Join(", ", missing)}, which the loader's search path does not hold", path);
            }
            foreach (var file in closure)
            {
                if (CopyIntoRoot(root, file))
                {
                    copied.Add(file);
                }
            }
            commands.Add(System.IO.Path.GetFileName(name));
        }
        if (busybox is not null)
        {
            progress.Report(activity, $"Linking busybox applets from {busybox}", 85);
            commands.AddRange(InstallBusybox(root, busybox));
            copied.Add(busybox);
        }
        progress.Report(activity, "Writing /etc and mount points", 95);
        WriteBasics(root);
        var size = new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => f.LinkTarget is null).Sum(f => f.Length);
        progress.Report(activity, "Done", 100);
        log.Information("Built root filesystem {Root}: {Files} files, {Bytes} bytes", root, copied.Count, size);
        return new RootFsInfo(root, commands, copied, size);
    }

    /// <summary>A program name looked up in the host's PATH directories, or an absolute path.</summary>
    public static string FindProgram(string command)
    {
        if (command.Contains('/'))
        {
            return File.Exists(command) ? System.IO.Path.GetFullPath(command)
                : throw new VirtToolsException("CommandNotFound", VirtErrorKind.NotFound, $"Program '{command}' does not exist on this host", command);
        }
        foreach (var directory in searchPath)
        {
            var candidate = System.IO.Path.Combine(directory, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new VirtToolsException("CommandNotFound", VirtErrorKind.NotFound,
            $"Program '{command}' is not in {string.Join(':', searchPath)} on this host", command);
    }

    private static string FindBusybox()
    {
        foreach (var candidate in new[] { "/bin/busybox", "/usr/bin/busybox", "/usr/sbin/busybox" })
        {
            if (File.Exists(candidate) && ElfFile.IsElf(candidate) && ElfFile.Read(candidate).Interpreter is null)
            {
                return candidate;
            }
        }
        throw new VirtToolsException("BusyboxNotFound", VirtErrorKind.NotSupported,
            "No static busybox on this host: install busybox-static (apt-get install busybox-static)", "busybox");
    }

    private static void Prepare(string root, bool force)
    {
        if (root == "/" || root.Count(c => c == '/') < 2 && !root.StartsWith("/tmp", StringComparison.Ordinal))
        {
            throw new VirtToolsException("UnsafeRootFsPath", VirtErrorKind.InvalidArgument, $"Refusing to build a root filesystem at '{root}': choose a dedicated directory", root);
        }
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            if (!force)
            {
                throw new VirtToolsException("RootFsExists", VirtErrorKind.AlreadyExists, $"'{root}' exists and is not empty; use -Force to replace it", root);
            }
            Directory.Delete(root, recursive: true);
        }
        Directory.CreateDirectory(root);
    }

    private static void MirrorMergedUsr(string root)
    {
        foreach (var name in mergedUsrLinks)
        {
            var host = new FileInfo("/" + name);
            var inRoot = System.IO.Path.Combine(root, name);
            if (host.LinkTarget is not { } target || System.IO.Path.IsPathRooted(target) || Path.Exists(inRoot))
            {
                continue;
            }
            Directory.CreateDirectory(System.IO.Path.Combine(root, target));
            File.CreateSymbolicLink(inRoot, target);
        }
    }

    /// <summary>Copies a host file to the same path under <paramref name="root"/>; false if it was already there.</summary>
    private static bool CopyIntoRoot(string root, string hostPath)
    {
        var destination = System.IO.Path.Combine(root, hostPath.TrimStart('/'));
        if (File.Exists(destination))
        {
            return false;
        }
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
        // File.Copy follows a symlinked source, so /usr/bin/sh -> dash arrives as a program.
        File.Copy(hostPath, destination);
        return true;
    }

    private IEnumerable<string> InstallBusybox(string root, string busybox)
    {
        var destination = System.IO.Path.Combine(root, "bin/busybox");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
        if (!File.Exists(destination))
        {
            File.Copy(busybox, destination);
        }
        var start = new ProcessStartInfo(busybox, "--list") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var applets = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        process.WaitForExit();
        var linked = new List<string>();
        foreach (var applet in applets)
        {
            var link = System.IO.Path.Combine(root, "bin", applet);
            if (!Path.Exists(link) && new FileInfo(link).LinkTarget is null)
            {
                File.CreateSymbolicLink(link, "busybox");
                linked.Add(applet);
            }
        }
        return linked;
    }

    private void ExtractTarball(string tarball, string root, string activity)
    {
        using var file = File.OpenRead(tarball);
        Span<byte> magic = stackalloc byte[2];
        var gzip = file.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        using Stream input = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new TarReader(input);
        var fullRoot = root.TrimEnd('/') + "/";
        var lastPercent = -1;
        while (reader.GetNextEntry() is { } entry)
        {
            var name = entry.Name.TrimStart('.', '/');
            if (name.Length == 0)
            {
                continue;
            }
            var destination = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, name));
            if (!destination.StartsWith(fullRoot, StringComparison.Ordinal))
            {
                throw new VirtToolsException("UnsafeTarball", VirtErrorKind.InvalidArgument, $"Tarball entry '{entry.Name}' points outside the root filesystem", tarball);
            }
            // Earlier entries may have made symlinks (bin -> /usr/bin, or a hostile link -> /etc):
            // the parent is resolved as the container will see it, never through a link to the host.
            var relative = destination[fullRoot.Length..].TrimEnd('/');
            var parent = SafeDirectory(root, System.IO.Path.GetDirectoryName(relative) ?? "", tarball);
            destination = System.IO.Path.Combine(parent, System.IO.Path.GetFileName(relative));
            if (entry.EntryType != TarEntryType.Directory && new FileInfo(destination).LinkTarget is not null)
            {
                File.Delete(destination); // replace the link itself, never write through it
            }
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(destination);
                    if (!OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(destination, entry.Mode);
                    }
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    entry.ExtractToFile(destination, overwrite: true);
                    break;
                case TarEntryType.SymbolicLink:
                    if (Path.Exists(destination) || new FileInfo(destination).LinkTarget is not null)
                    {
                        File.Delete(destination);
                    }
                    File.CreateSymbolicLink(destination, entry.LinkName);
                    break;
                case TarEntryType.HardLink:
                    File.Copy(System.IO.Path.Combine(root, entry.LinkName.TrimStart('.', '/')), destination, overwrite: true);
                    break;
                default:
                    // Device nodes and FIFOs: the container gets its own minimal /dev at start.
                    log.Debug("Skipped tarball entry {Name} of type {Type}", entry.Name, entry.EntryType);
                    break;
            }
            var percent = file.Length == 0 ? -1 : (int)(file.Position * 10 / file.Length);
            if (percent != lastPercent)
            {
                lastPercent = percent;
                progress.Report(activity, $"Unpacking {System.IO.Path.GetFileName(tarball)}: {entry.Name}", percent);
            }
        }
    }

    /// <summary>
    /// The host directory for <paramref name="relative"/> under <paramref name="root"/>, created level by
    /// level; symlinks on the way are followed inside the root only (absolute targets mean the root).
    /// </summary>
    private static string SafeDirectory(string root, string relative, string tarball)
    {
        var current = root;
        foreach (var part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = System.IO.Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                var inRoot = target.StartsWith('/') ? target : System.IO.Path.Combine(current[root.Length..], target);
                var resolved = Isolation.RootFsPath.Resolve(root, inRoot);
                if (resolved is null || !Directory.Exists(resolved) || new FileInfo(resolved).LinkTarget is not null)
                {
                    throw new VirtToolsException("UnsafeTarball", VirtErrorKind.InvalidArgument,
                        $"Tarball path '{relative}' goes through the link '{part}' -> '{target}', which leads nowhere inside the root filesystem", tarball);
                }
                current = resolved;
                continue;
            }
            if (!Directory.Exists(next))
            {
                Directory.CreateDirectory(next);
            }
            current = next;
        }
        return current;
    }

    private static void WriteBasics(string root)
    {
        foreach (var (directory, mode) in new[]
        {
            ("proc", UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute),
            ("sys", UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute),
            ("dev", (UnixFileMode)0b111_101_101),
            ("tmp", (UnixFileMode)0b1_111_111_111),
            ("root", (UnixFileMode)0b111_000_000),
            ("etc", (UnixFileMode)0b111_101_101),
        })
        {
            var path = System.IO.Path.Combine(root, directory);
            Directory.CreateDirectory(path);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, mode);
            }
        }
        WriteIfMissing(root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        WriteIfMissing(root, "etc/group", "root:x:0:\nnogroup:x:65534:\n");
        WriteIfMissing(root, "etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        var resolv = File.Exists("/etc/resolv.conf") ? File.ReadAllText("/etc/resolv.conf") : "";
        WriteIfMissing(root, "etc/resolv.conf", resolv);
    }

    private static void WriteIfMissing(string root, string relative, string text)
    {
        var path = System.IO.Path.Combine(root, relative);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, text);
        }
    }
}
