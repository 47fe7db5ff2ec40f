using System.Diagnostics;
using VirtTools.RootFs;

namespace VirtTools.Tests.RootFs;

public sealed class LibraryResolverTests
{
    /// <summary>The closure must hold every library ldd (the loader itself) reports.</summary>
    [Theory]
    [InlineData("/usr/bin/ls")]
    [InlineData("/usr/bin/cat")]
    public void ClosureMatchesWhatTheLoaderLoads(string program)
    {
        var closure = new LibraryResolver().Closure(program, out var missing);
        Assert.Empty(missing);
        foreach (var library in Ldd(program))
        {
            Assert.Contains(closure, path => Path.GetFileName(path) == Path.GetFileName(library));
        }
        Assert.Equal(program, closure[0]);
        Assert.Contains("/lib64/ld-linux-x86-64.so.2", closure);
    }

    [Fact]
    public void ExpandsOriginInRunPath()
    {
        var directory = Directory.CreateTempSubdirectory("virttools-origin-");
        try
        {
            var lib = Path.Combine(directory.FullName, "lib");
            Directory.CreateDirectory(lib);
            File.WriteAllText(Path.Combine(lib, "libfake.so"), "");
            var elf = new ElfFile(null, ["libfake.so"], [], ["$ORIGIN/lib"]);
            Assert.Equal(Path.Combine(lib, "libfake.so"), new LibraryResolver([]).Find("libfake.so", elf, directory.FullName));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void ReadsLdSoConfIncludes()
    {
        var directory = Directory.CreateTempSubdirectory("virttools-ldconf-");
        try
        {
            var confD = Path.Combine(directory.FullName, "ld.so.conf.d");
            Directory.CreateDirectory(confD);
            File.WriteAllText(Path.Combine(confD, "a.conf"), "# comment\n/opt/a/lib\n");
            File.WriteAllText(Path.Combine(directory.FullName, "ld.so.conf"), $"include {confD}/*.conf\n/opt/b/lib\n");
            Assert.Equal(["/opt/a/lib", "/opt/b/lib"], LibraryResolver.ReadLdSoConf(Path.Combine(directory.FullName, "ld.so.conf")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static IEnumerable<string> Ldd(string program)
    {
        var start = new ProcessStartInfo("ldd", program) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text.Split('\n').Select(l => l.Split("=>")).Where(p => p.Length == 2)
            .Select(p => p[1].Trim().Split(' ')[0]).Where(p => p.StartsWith('/'));
    }
}
