using VirtTools.Monitoring;

namespace VirtTools.Dashboard;

/// <summary>
/// What the table shows, apart from Terminal.Gui: the latest snapshot narrowed by the name filter and
/// the all/running toggle, ordered by the chosen column. Sort and filter survive refreshes.
/// </summary>
internal sealed class DashboardModel
{
    public IReadOnlyList<ItemColumn> Columns { get; } = ItemColumns.All;

    public MonitorSnapshot Snapshot { get; private set; } = MonitorSnapshot.Empty;

    /// <summary>Rows in display order.</summary>
    public IReadOnlyList<MonitorSample> Rows { get; private set; } = [];

    public int SortColumn { get; private set; } = ItemColumns.NameColumn;

    public bool SortDescending { get; private set; }

    /// <summary>Case-insensitive substring of the name; empty shows everything.</summary>
    public string Filter { get; private set; } = "";

    /// <summary>False shows only running items.</summary>
    public bool ShowAll { get; private set; } = true;

    /// <summary>The header shows the median refresh cost of this many refreshes, renewed once per that many.</summary>
    public const int RefreshCostWindow = 10;

    private readonly List<double> refreshCosts = new(RefreshCostWindow);

    /// <summary>
    /// The refresh cost the header shows, in ms: a figure that changed every second would redraw the
    /// header every second for a number nobody reads that often.
    /// </summary>
    public double? RefreshCostShown { get; private set; }

    public void Update(MonitorSnapshot snapshot)
    {
        Snapshot = snapshot;
        refreshCosts.Add(snapshot.RefreshDuration.TotalMilliseconds);
        if (RefreshCostShown is null || refreshCosts.Count == RefreshCostWindow)
        {
            refreshCosts.Sort();
            RefreshCostShown = refreshCosts[refreshCosts.Count / 2];
            refreshCosts.Clear();
        }
        Apply();
    }

    /// <summary>Sorts by <paramref name="column"/>; choosing the current column again reverses the order.</summary>
    public void SortBy(int column)
    {
        if (column == SortColumn)
        {
            SortDescending = !SortDescending;
        }
        else
        {
            SortColumn = Math.Clamp(column, 0, Columns.Count - 1);
            // Numbers are most useful biggest first; names and states A to Z.
            SortDescending = Columns[SortColumn].AlignRight;
        }
        Apply();
    }

    /// <summary>Moves the sort to the next (or previous) column.</summary>
    public void SortNext(int step = 1) => SortBy(((SortColumn + step) % Columns.Count + Columns.Count) % Columns.Count);

    public void SetFilter(string filter)
    {
        Filter = filter.Trim();
        Apply();
    }

    public void ToggleShowAll()
    {
        ShowAll = !ShowAll;
        Apply();
    }

    /// <summary>The row index of the item with <paramref name="key"/>, or -1.</summary>
    public int IndexOf(string? key)
    {
        if (key is null)
        {
            return -1;
        }
        for (var i = 0; i < Rows.Count; i++)
        {
            if (Rows[i].Key == key)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>A one-line summary: counts per kind and the view settings.</summary>
    public string Summary()
    {
        var items = Snapshot.Items;
        int Count(MonitoredKind k) => items.Count(i => i.Kind == k);
        var sort = $"{Columns[SortColumn].Header} {(SortDescending ? "↓" : "↑")}";
        var filter = Filter.Length > 0 ? $" · filter '{Filter}'" : "";
        return $"{Count(MonitoredKind.Container)} containers, {Count(MonitoredKind.Machine)} machines, {Count(MonitoredKind.Cgroup)} cgroups"
            + $" · showing {Rows.Count} ({(ShowAll ? "all" : "running")}) · sort {sort}{filter}"
            + $" · refresh {RefreshCostShown ?? 0:0.0} ms";
    }

    private void Apply()
    {
        var key = Columns[SortColumn].SortKey;
        var rows = Snapshot.Items
            .Where(i => ShowAll || i.IsRunning)
            .Where(i => Filter.Length == 0 || i.Name.Contains(Filter, StringComparison.OrdinalIgnoreCase))
            .ToList();
        var direction = SortDescending ? -1 : 1;
        // Unknown values go last either way; ties fall back to kind and name so the order is stable.
        rows.Sort((a, b) =>
        {
            var (x, y) = (key(a), key(b));
            var order = (x, y) switch
            {
                (null, null) => 0,
                (null, _) => 1,
                (_, null) => -1,
                _ => direction * x.CompareTo(y),
            };
            if (order == 0)
            {
                order = a.Kind.CompareTo(b.Kind);
            }
            return order != 0 ? order : string.CompareOrdinal(a.Name, b.Name);
        });
        Rows = rows;
    }
}
