using System.Text;

namespace VirtTools.Monitoring;

/// <summary>The last lines of a text file, read from its end so a large log costs no more than a small one.</summary>
public static class TextTail
{
    private const int MaxBytes = 64 * 1024;

    public static IReadOnlyList<string> Read(string path, int lines)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = Math.Min(stream.Length, MaxBytes);
            stream.Seek(-length, SeekOrigin.End);
            var buffer = new byte[length];
            stream.ReadExactly(buffer);
            return Last(Encoding.UTF8.GetString(buffer), lines);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of <paramref name="text"/>, without a trailing empty one.</summary>
    public static IReadOnlyList<string> Last(string text, int lines)
    {
        var all = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var count = all.Length > 0 && all[^1].Length == 0 ? all.Length - 1 : all.Length;
        return all.Take(count).Skip(Math.Max(0, count - lines)).ToList();
    }
}
