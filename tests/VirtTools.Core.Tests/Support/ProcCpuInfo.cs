namespace VirtTools.Tests.Support;

/// <summary>The first processor's block of /proc/cpuinfo: the kernel's own view, used as the oracle.</summary>
public sealed class ProcCpuInfo
{
    private readonly Dictionary<string, string> fields = new(StringComparer.Ordinal);

    public ProcCpuInfo(string path = "/proc/cpuinfo")
    {
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0)
            {
                break;
            }
            var colon = line.IndexOf(':');
            if (colon > 0)
            {
                fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }
    }

    public string this[string key] => fields[key];

    public IReadOnlySet<string> Flags => fields["flags"].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
}
