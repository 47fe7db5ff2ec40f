using System.Globalization;
using VirtTools.Monitoring;

namespace VirtTools.Dashboard;

/// <summary>The dashboard's columns, in display order. Empty cells mean "not available for this item".</summary>
internal static class ItemColumns
{
    public static IReadOnlyList<ItemColumn> All { get; } =
    [
        new("Kind", s => s.Kind.ToString(), s => s.Kind, AlignRight: false),
        new("Name", s => s.Name, s => s.Name, AlignRight: false),
        new("State", s => s.State, s => s.State, AlignRight: false),
        new("CPU%", s => Percent(s.CpuPercent), s => s.CpuPercent),
        new("Quota%", s => Percent(s.CpuQuotaPercent), s => s.CpuQuotaPercent),
        new("Thr%", s => Percent(s.ThrottledPercent), s => s.ThrottledPercent),
        new("Mem", s => s.MemoryBytes is { } m ? Units.Bytes(m) : "", s => s.MemoryBytes),
        new("Limit", s => s.MemoryLimit is { } l ? Units.Bytes(l) : "", s => s.MemoryLimit),
        new("Mem%", s => Percent(s.MemoryPercent), s => s.MemoryPercent),
        new("Pids", s => Count(s.Pids, s.PidsLimit), s => s.Pids),
        new("Uptime", s => s.Uptime is { } u ? Uptime(u) : "", s => s.Uptime),
        new("Accel", s => s.Accelerator ?? "", s => s.Accelerator, AlignRight: false),
        new("vCPU", s => s.Vcpus?.ToString(CultureInfo.InvariantCulture) ?? "", s => s.Vcpus),
        new("Exits/s|MIPS", Speed, s => s.ExitsPerSecond ?? s.Mips),
        // Scaled per row to its own peak (at least 1 %), so a quiet item still shows its shape. Idle
        // refreshes draw as blanks: trimmed, a quiet row's cell reads the same while its history
        // fills, and the table is not redrawn for it.
        new("CPU history", s => Sparkline.Render(s.CpuHistory, 16).TrimEnd(), s => s.CpuPercent, AlignRight: false),
    ];

    /// <summary>The Name column: the default sort.</summary>
    public const int NameColumn = 1;

    /// <summary>The CPU% column.</summary>
    public const int CpuColumn = 3;

    private static string Percent(double? value) => value?.ToString("0.0", CultureInfo.InvariantCulture) ?? "";

    private static string Count(long? value, long? limit) => (value, limit) switch
    {
        (null, _) => "",
        ({ } v, null) => v.ToString(CultureInfo.InvariantCulture),
        ({ } v, { } l) => string.Create(CultureInfo.InvariantCulture, $"{v}/{l}"),
    };

    /// <summary>
    /// Seconds in the first minute, then whole minutes (then hours and minutes, days and hours): a row
    /// whose figures hold still then reads the same from one refresh to the next and is not redrawn.
    /// -Once writes the exact TimeSpan.
    /// </summary>
    private static string Uptime(TimeSpan span) =>
        span.TotalMinutes is >= 1 and < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m") : Units.Duration(span);

    private static string Speed(MonitorSample s) =>
        s.Mips is { } mips ? string.Create(CultureInfo.InvariantCulture, $"{mips:0.0} MIPS")
        : s.ExitsPerSecond is { } exits ? exits.ToString("0", CultureInfo.InvariantCulture)
        : "";
}
