using System.Globalization;
using VirtTools.Diagnostics;

namespace VirtTools.Cgroups;

/// <summary>
/// Bandwidth and IOPS caps for one block device (io.max on v2, blkio.throttle.*_device on v1).
/// A null cap is left as it is; <see cref="CgroupLimits.Unlimited"/> removes it.
/// </summary>
public sealed class IoDeviceLimit
{
    /// <summary>The device as "major:minor" (8:0) or a block device path (/dev/vda).</summary>
    public string Device { get; set; } = "";

    /// <summary>Read bytes per second.</summary>
    public long? ReadBps { get; set; }

    /// <summary>Write bytes per second.</summary>
    public long? WriteBps { get; set; }

    /// <summary>Read operations per second.</summary>
    public long? ReadIops { get; set; }

    /// <summary>Write operations per second.</summary>
    public long? WriteIops { get; set; }

    public IoDeviceLimit()
    {
    }

    /// <summary>Parses the io.max form "8:0 rbps=10M wbps=max riops=100 wiops=100" (also with a /dev path).</summary>
    public IoDeviceLimit(string text)
    {
        var parsed = Parse(text);
        Device = parsed.Device;
        ReadBps = parsed.ReadBps;
        WriteBps = parsed.WriteBps;
        ReadIops = parsed.ReadIops;
        WriteIops = parsed.WriteIops;
    }

    public static IoDeviceLimit Parse(string text)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2)
        {
            throw Invalid(text);
        }
        var limit = new IoDeviceLimit { Device = words[0] };
        foreach (var word in words.Skip(1))
        {
            var pair = word.Split('=', 2);
            if (pair.Length != 2)
            {
                throw Invalid(text);
            }
            var value = CgroupSize.Parse(pair[1], $"io.max {pair[0]}");
            switch (pair[0])
            {
                case "rbps": limit.ReadBps = value; break;
                case "wbps": limit.WriteBps = value; break;
                case "riops": limit.ReadIops = value; break;
                case "wiops": limit.WriteIops = value; break;
                default: throw Invalid(text);
            }
        }
        return limit;
    }

    /// <summary>The device's "major:minor", resolving a /dev path with stat(2).</summary>
    public string ResolveDevice()
    {
        if (IsMajorMinor(Device))
        {
            return Device;
        }
        if (!File.Exists(Device))
        {
            throw new VirtToolsException("InvalidIoDevice", VirtErrorKind.InvalidArgument,
                $"Invalid io device '{Device}': use 'major:minor' (8:0) or the path of a block device (/dev/vda).", Device);
        }
        // /sys/class/block/<name>/dev holds "major:minor" for every block device and partition.
        var name = Path.GetFileName(Path.GetFullPath(Device));
        var sys = $"/sys/class/block/{name}/dev";
        if (!File.Exists(sys))
        {
            throw new VirtToolsException("InvalidIoDevice", VirtErrorKind.InvalidArgument,
                $"Invalid io device '{Device}': not a block device.", Device);
        }
        return File.ReadAllText(sys).Trim();
    }

    public override string ToString()
    {
        var parts = new List<string> { Device };
        void Add(string key, long? v)
        {
            if (v is { } x)
            {
                parts.Add($"{key}={(x >= CgroupLimits.Unlimited ? "max" : x.ToString(CultureInfo.InvariantCulture))}");
            }
        }
        Add("rbps", ReadBps);
        Add("wbps", WriteBps);
        Add("riops", ReadIops);
        Add("wiops", WriteIops);
        return string.Join(' ', parts);
    }

    private static bool IsMajorMinor(string s)
    {
        var pair = s.Split(':');
        return pair.Length == 2 && uint.TryParse(pair[0], out _) && uint.TryParse(pair[1], out _);
    }

    private static VirtToolsException Invalid(string text) =>
        new("InvalidIoLimit", VirtErrorKind.InvalidArgument,
            $"Invalid io limit '{text}': use 'major:minor rbps=N wbps=N riops=N wiops=N' (any subset, N a size or 'max').", text);
}
