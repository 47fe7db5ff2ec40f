using VirtTools.Diagnostics;

namespace VirtTools.Machine.Initramfs;

/// <summary>
/// Builds an initramfs (uncompressed newc cpio) from a folder, an init program, or both: the folder's
/// tree as it is (directories, files with their permission bits, symlinks), then <c>/init</c> from the
/// init file, plus <c>/dev/console</c> (5,1), which the kernel opens for init's stdin/stdout before any
/// devtmpfs exists. Everything is owned by root.
/// </summary>
public static class InitramfsBuilder
{
    public static void Build(string destination, string? folder, string? init)
    {
        if (folder is null && init is null)
        {
            throw new VirtToolsException("InitramfsEmpty", VirtErrorKind.InvalidArgument, "give a folder, an init program, or both");
        }
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new VirtToolsException("PathNotFound", VirtErrorKind.NotFound, $"folder '{folder}' does not exist", folder);
        }
        if (init is not null && !File.Exists(init))
        {
            throw new VirtToolsException("PathNotFound", VirtErrorKind.NotFound, $"init program '{init}' does not exist", init);
        }
        using var stream = new FileStream(destination, FileMode.Create, FileAccess.Write);
        using var cpio = new CpioNewcWriter(stream);
        var written = new HashSet<string>(StringComparer.Ordinal);
        if (folder is not null)
        {
            AddTree(cpio, folder, "", written);
        }
        if (written.Add("dev"))
        {
            cpio.AddDirectory("dev");
        }
        if (written.Add("dev/console"))
        {
            cpio.AddCharDevice("dev/console", 5, 1);
        }
        if (init is not null)
        {
            cpio.AddFile("init", File.ReadAllBytes(init), 0x1ed);
        }
    }

    private static void AddTree(CpioNewcWriter cpio, string root, string prefix, HashSet<string> written)
    {
        foreach (var entry in new DirectoryInfo(Path.Combine(root, prefix)).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var name = prefix.Length == 0 ? entry.Name : $"{prefix}/{entry.Name}";
            written.Add(name);
            var permissions = (uint)entry.UnixFileMode & 0xfff;
            if (entry.LinkTarget is { } target)
            {
                cpio.AddSymlink(name, target);
            }
            else if (entry is DirectoryInfo)
            {
                cpio.AddDirectory(name, permissions);
                AddTree(cpio, root, name, written);
            }
            else
            {
                cpio.AddFile(name, File.ReadAllBytes(entry.FullName), permissions);
            }
        }
    }
}
