namespace VirtTools.Dashboard.Tests;

/// <summary>
/// What a refresh marks for drawing: an idle dashboard must not redraw the table, nor the header, when
/// nothing on them changed (each full table draw was most of an idle dashboard's CPU), and must redraw
/// them when something did.
/// </summary>
public class RedrawTests
{
    [Fact]
    public void A_refresh_that_changes_no_cell_marks_nothing_for_drawing()
    {
        using var h = Settled();
        var before = h.Screen;

        h.NextRefreshUndrawn();

        Assert.False(h.Window.Table.NeedsDraw);
        Assert.False(h.Window.Header.NeedsDraw);
        Assert.False(h.Window.Header.NeedsLayout);
        Assert.Equal(before, h.Screen);
    }

    [Fact]
    public void A_changed_cell_redraws_the_table_with_the_new_value()
    {
        using var h = Settled();
        h.Containers.Set("web", cpuSeconds: 0.5, memory: 1 << 20);

        h.NextRefreshUndrawn();

        Assert.True(h.Window.Table.NeedsDraw);
        Assert.Contains("25.0", h.RowsOf("web")[0]);
    }

    [Fact]
    public void The_header_shows_the_median_refresh_cost_renewed_every_ten_refreshes()
    {
        using var h = Settled();
        var shown = h.Window.Model.RefreshCostShown;
        var header = h.Window.Header.Text;
        Assert.NotNull(shown);
        Assert.Contains($"refresh {shown:0.0} ms", header);

        // Within a window of ten the figure holds, whatever the refreshes cost.
        var refreshes = 0;
        while (h.Window.Model.RefreshCostShown == shown && refreshes < 3 * DashboardModel.RefreshCostWindow)
        {
            h.NextRefreshUndrawn();
            refreshes++;
            if (h.Window.Model.RefreshCostShown == shown)
            {
                Assert.Equal(header, h.Window.Header.Text);
            }
        }
        // It may be renewed to the same value; then it was never seen to change, which is fine.
        Assert.InRange(refreshes, 1, 3 * DashboardModel.RefreshCostWindow);
    }

    /// <summary>A dashboard whose rows have stopped changing: CPU % known (second reading), the sparkline flat.</summary>
    private static DashboardHarness Settled()
    {
        var h = new DashboardHarness();
        h.Containers.Set("web", cpuSeconds: 0, memory: 1 << 20);
        h.Cgroups.Set("batch", state: "Active", pids: 3);
        h.Start();
        h.NextRefresh();
        h.NextRefresh();
        return h;
    }
}
