using System.Globalization;
using System.Text;
using VirtTools.Monitoring;

namespace VirtTools.Dashboard;

/// <summary>The detail pane's text for one item: facts and limits, live figures, history charts, recent events, output.</summary>
internal static class DetailText
{
    public static string For(MonitorSample item, IReadOnlyList<MonitorEvent> events, IReadOnlyList<string> output, int width)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{item.Kind} {item.Name}: {item.State}{(item.EndReason is { } r ? $" ({r})" : "")}");
        foreach (var (key, value) in item.Details)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {key,-14} {value}");
        }
        text.AppendLine(CultureInfo.InvariantCulture,
            $"  CPU {F(item.CpuPercent)}% of host, {F(item.CpuQuotaPercent)}% of quota, throttled {F(item.ThrottledPercent)}%;"
            + $" memory {B(item.MemoryBytes)} of {B(item.MemoryLimit)}; pids {item.Pids?.ToString(CultureInfo.InvariantCulture) ?? "-"}"
            + $" of {item.PidsLimit?.ToString(CultureInfo.InvariantCulture) ?? "-"}; OOM kills {item.OomKills?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
        var chartWidth = Math.Max(10, width - 12);
        var cpuPeak = Math.Max(1, item.CpuHistory.DefaultIfEmpty(0).Max());
        text.AppendLine(CultureInfo.InvariantCulture, $"  CPU % (peak {cpuPeak:0.0})");
        foreach (var line in Sparkline.Chart(item.CpuHistory, chartWidth, 3))
        {
            text.AppendLine("   " + line);
        }
        var memPeak = Math.Max(1, item.MemoryHistory.DefaultIfEmpty(0).Max());
        text.AppendLine(CultureInfo.InvariantCulture, $"  Memory (peak {Units.Bytes((long)memPeak)})");
        foreach (var line in Sparkline.Chart(item.MemoryHistory, chartWidth, 2, item.MemoryLimit is > 0 and var l ? Math.Max(l, memPeak) : null))
        {
            text.AppendLine("   " + line);
        }
        text.AppendLine("Recent events:");
        foreach (var e in events.TakeLast(8))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {e.Time:HH:mm:ss} {e.Event}: {e.Message}");
        }
        if (events.Count == 0)
        {
            text.AppendLine("  (none)");
        }
        if (output.Count > 0)
        {
            text.AppendLine(item.Kind == MonitoredKind.Machine ? "Serial console:" : "Output:");
            foreach (var line in output)
            {
                text.AppendLine("  " + line);
            }
        }
        return text.ToString();
    }

    private static string F(double? value) => value?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-";

    private static string B(long? value) => value is { } v ? Units.Bytes(v) : "-";
}
