using Terminal.Gui.Views;
using VirtTools.Monitoring;

namespace VirtTools.Dashboard;

/// <summary>
/// The table's rows as Terminal.Gui asks for them: one string per cell, made once per refresh for
/// every row (a few hundred short strings), so a refresh that would change nothing on screen can be
/// recognised (<see cref="ShowsSameAs"/>) and its redraw skipped.
/// </summary>
internal sealed class ItemTableSource : ITableSource
{
    private readonly string[,] cells;

    public ItemTableSource(IReadOnlyList<MonitorSample> rows, IReadOnlyList<ItemColumn> columns, int sortColumn, bool descending)
    {
        ColumnNames = columns.Select((c, i) => i == sortColumn ? c.Header + (descending ? "↓" : "↑") : c.Header).ToArray();
        cells = new string[rows.Count, columns.Count];
        for (var row = 0; row < rows.Count; row++)
        {
            for (var col = 0; col < columns.Count; col++)
            {
                cells[row, col] = columns[col].Text(rows[row]);
            }
        }
    }

    public object this[int row, int col] => cells[row, col];

    public string[] ColumnNames { get; }

    public int Columns => cells.GetLength(1);

    public int Rows => cells.GetLength(0);

    /// <summary>True when <paramref name="other"/> has the same headers and the same text in every cell.</summary>
    public bool ShowsSameAs(ItemTableSource other)
    {
        if (Rows != other.Rows || Columns != other.Columns || !ColumnNames.SequenceEqual(other.ColumnNames))
        {
            return false;
        }
        for (var row = 0; row < Rows; row++)
        {
            for (var col = 0; col < Columns; col++)
            {
                if (!string.Equals(cells[row, col], other.cells[row, col], StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }
        return true;
    }
}
