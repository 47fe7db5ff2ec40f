using System.Text;

namespace VirtTools.Cgroups;

/// <summary>One line of /proc/self/mountinfo (proc(5)).</summary>
public sealed record MountInfo(int Id, int ParentId, string Root, string MountPoint, string FileSystemType, string Source, string SuperOptions)
{
    /// <summary>Parses a mountinfo file; lines that do not parse are skipped.</summary>
    public static IReadOnlyList<MountInfo> Read(string path = "/proc/self/mountinfo") => Parse(File.ReadAllLines(path));

    public static IReadOnlyList<MountInfo> Parse(IEnumerable<string> lines)
    {
        var mounts = new List<MountInfo>();
        foreach (var line in lines)
        {
            // 36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw,errors=continue
            var fields = line.Split(' ');
            var separator = fields.Length > 6 ? Array.IndexOf(fields, "-", 6) : -1;
            if (separator < 0 || separator + 2 >= fields.Length)
            {
                continue;
            }
            mounts.Add(new MountInfo(
                int.Parse(fields[0]),
                int.Parse(fields[1]),
                Unescape(fields[3]),
                Unescape(fields[4]),
                fields[separator + 1],
                Unescape(fields[separator + 2]),
                separator + 3 < fields.Length ? fields[separator + 3] : ""));
        }
        return mounts;
    }

    /// <summary>The kernel writes space, tab, newline and backslash in paths as \ooo octal escapes.</summary>
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }
        var builder = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                builder.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }
        return builder.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
