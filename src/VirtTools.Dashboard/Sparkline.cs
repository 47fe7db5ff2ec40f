using System.Text;

namespace VirtTools.Dashboard;

/// <summary>Text graphs from block characters: one-line sparklines for rows, a multi-line chart for the detail pane.</summary>
internal static class Sparkline
{
    private static readonly char[] levels = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

    /// <summary>The last <paramref name="width"/> values, scaled to <paramref name="max"/> (default: the largest shown, at least 1).</summary>
    public static string Render(IReadOnlyList<double> values, int width, double? max = null)
    {
        var shown = values.Skip(Math.Max(0, values.Count - width)).ToList();
        var top = max ?? Math.Max(1, shown.DefaultIfEmpty(0).Max());
        var text = new StringBuilder(width);
        foreach (var v in shown)
        {
            var level = (int)Math.Round(Math.Clamp(v / top, 0, 1) * (levels.Length - 1));
            text.Append(v > 0 && level == 0 ? levels[1] : levels[level]);
        }
        return text.ToString();
    }

    /// <summary>A chart <paramref name="height"/> lines high; each line is a band of the scale, top first.</summary>
    public static IReadOnlyList<string> Chart(IReadOnlyList<double> values, int width, int height, double? max = null)
    {
        var shown = values.Skip(Math.Max(0, values.Count - width)).ToList();
        var top = max ?? Math.Max(1, shown.DefaultIfEmpty(0).Max());
        var lines = new List<string>(height);
        for (var row = height - 1; row >= 0; row--)
        {
            var text = new StringBuilder(width);
            foreach (var v in shown)
            {
                // Eighths of a line filled in this band.
                var eighths = (int)Math.Round(Math.Clamp(v / top, 0, 1) * height * 8) - row * 8;
                text.Append(levels[Math.Clamp(eighths, 0, 8)]);
            }
            lines.Add(text.ToString());
        }
        return lines;
    }
}
