using Terminal.Gui.Views;
using VirtTools.Monitoring;

namespace VirtTools.Dashboard;

/// <summary>The table's rows as Terminal.Gui asks for them: one string per cell, made on demand for visible cells only.</summary>
internal sealed class ItemTableSource(IReadOnlyList<MonitorSample> rows, IReadOnlyList<ItemColumn> columns, int sortColumn, bool descending) : ITableSource
{
    public object this[int row, int col] => columns[col].Text(rows[row]);

    public string[] ColumnNames { get; } = columns.Select((c, i) => i == sortColumn ? c.Header + (descending ? "↓" : "↑") : c.Header).ToArray();

    public int Columns => columns.Count;

    public int Rows => rows.Count;
}
