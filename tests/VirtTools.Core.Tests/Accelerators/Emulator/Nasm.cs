using System.Collections.Concurrent;
using System.Diagnostics;

namespace VirtTools.Tests.Accelerators.Emulator;

/// <summary>Assembles test snippets with nasm (installed by CI) in a temporary folder it removes at once.</summary>
internal static class Nasm
{
    private static readonly ConcurrentDictionary<string, byte[]> cache = new();

    public static byte[] Assemble(string source) => cache.GetOrAdd(source, Run);

    private static byte[] Run(string source)
    {
        var dir = Directory.CreateTempSubdirectory("virttools-nasm-").FullName;
        try
        {
            var src = Path.Combine(dir, "t.asm");
            var bin = Path.Combine(dir, "t.bin");
            File.WriteAllText(src, source);
            var psi = new ProcessStartInfo("nasm", ["-f", "bin", "-o", bin, src]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start nasm");
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"nasm failed: {err}\n{source}");
            }
            return File.ReadAllBytes(bin);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
