using System.Globalization;

namespace VirtTools.Monitoring;

/// <summary>Short human forms of sizes and durations, as the dashboard and the -Once view print them.</summary>
public static class Units
{
    private static readonly string[] suffixes = ["B", "K", "M", "G", "T"];

    /// <summary>1536 -> "1.5K", 64 MiB -> "64M".</summary>
    public static string Bytes(long bytes)
    {
        double value = bytes;
        var i = 0;
        while (Math.Abs(value) >= 1024 && i < suffixes.Length - 1)
        {
            value /= 1024;
            i++;
        }
        var format = i == 0 || value >= 100 ? "0" : "0.#";
        return value.ToString(format, CultureInfo.InvariantCulture) + suffixes[i];
    }

    /// <summary>"45s", "12m03s", "3h07m", "2d04h".</summary>
    public static string Duration(TimeSpan span) => span switch
    {
        { TotalDays: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d{span.Hours:00}h"),
        { TotalHours: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h{span.Minutes:00}m"),
        { TotalMinutes: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m{span.Seconds:00}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalSeconds}s"),
    };
}
