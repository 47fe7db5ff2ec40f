using System.Collections.Concurrent;
using System.Diagnostics;

namespace VirtTools.Tests.Support;

/// <summary>
/// Assembles the test guests in tests/guests with nasm (a Debian package the CI installs), once per
/// test run, into a private temporary folder that is removed when the test process exits.
/// </summary>
public static class GuestImages
{
    // Lazy: GetOrAdd alone may run the factory twice for one name when two test classes ask at once.
    private static readonly ConcurrentDictionary<string, Lazy<byte[]>> cache = new();
    private static readonly Lazy<string> output = new(CreateOutputFolder);

    public static string SourceFolder { get; } = FindSourceFolder();

    /// <summary>The flat binary assembled from tests/guests/<paramref name="name"/>.asm.</summary>
    public static byte[] Get(string name) => cache.GetOrAdd(name, n => new Lazy<byte[]>(() => Assemble(n))).Value;

    /// <summary>Writes the assembled guest to a file (for cmdlets that take a path) and returns the path.</summary>
    public static string PathOf(string name)
    {
        var path = System.IO.Path.Combine(output.Value, name + ".bin");
        if (!File.Exists(path))
        {
            // Beside and renamed: a concurrent caller never reads a half-written image.
            var temporary = $"{path}.{Guid.NewGuid():N}";
            File.WriteAllBytes(temporary, Get(name));
            File.Move(temporary, path, overwrite: true);
        }
        return path;
    }

    private static byte[] Assemble(string name)
    {
        var source = System.IO.Path.Combine(SourceFolder, name + ".asm");
        var target = System.IO.Path.Combine(output.Value, $"{name}.{Guid.NewGuid():N}.o");
        var start = new ProcessStartInfo("nasm", ["-f", "bin", "-I", SourceFolder + "/", "-o", target, source])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start nasm");
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"nasm failed on {source}: {errors}");
        }
        var image = File.ReadAllBytes(target);
        File.Delete(target);
        return image;
    }

    private static string CreateOutputFolder()
    {
        var folder = Directory.CreateTempSubdirectory("virttools-guests-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return folder;
    }

    private static string FindSourceFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "tests", "guests");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("tests/guests not found above " + AppContext.BaseDirectory);
    }
}
