using Terminal.Gui.Input;
using VirtTools.Monitoring;

namespace VirtTools.Dashboard.Tests;

public class DashboardWindowTests
{
    [Fact]
    public void Rows_appear_for_every_item_and_the_running_toggle_hides_the_stopped_ones()
    {
        using var h = new DashboardHarness();
        h.Containers.Set("web", memory: 10 << 20, memoryLimit: 64 << 20);
        h.Containers.Set("old", state: "Exited", running: false, actions: ItemActions.Remove);
        h.Cgroups.Set("batch", state: "Active", pids: 3);
        h.Start();

        Assert.Single(h.RowsOf("web"));
        Assert.Single(h.RowsOf("old"));
        Assert.Single(h.RowsOf("batch"));
        Assert.Contains("64M", h.RowsOf("web")[0]);
        Assert.Contains("15.6", h.RowsOf("web")[0]);

        h.Type("a");
        Assert.Empty(h.RowsOf("old"));
        Assert.Single(h.RowsOf("web"));
        Assert.Contains("(running)", h.Screen);

        h.Type("a");
        Assert.Single(h.RowsOf("old"));
    }

    [Fact]
    public void The_timer_refreshes_values_and_rates()
    {
        using var h = new DashboardHarness();
        h.Containers.Set("web", cpuSeconds: 0, memory: 1 << 20);
        h.Start();
        Assert.DoesNotContain("25.0", h.RowsOf("web")[0]);

        // Half a CPU-second in one second on a 2-CPU host: 25 % of the host, 50 % of a 1-CPU quota.
        h.Containers.Set("web", cpuSeconds: 0.5, memory: 3 << 20, quota: 1);
        h.NextRefresh();

        var row = h.RowsOf("web")[0];
        Assert.Contains("25.0", row);
        Assert.Contains("50.0", row);
        Assert.Contains("3M", row);
    }

    [Fact]
    public void Sorting_by_a_column_survives_refreshes_and_a_second_press_reverses_it()
    {
        using var h = new DashboardHarness();
        h.Containers.Set("aaa", cpuSeconds: 0);
        h.Containers.Set("zzz", cpuSeconds: 0);
        h.Start();
        h.Containers.Set("aaa", cpuSeconds: 0.1);
        h.Containers.Set("zzz", cpuSeconds: 1.5);
        h.NextRefresh();
        Assert.Equal(["aaa", "zzz"], Order(h));

        h.Type("4");   // CPU%: biggest first
        Assert.Equal(["zzz", "aaa"], Order(h));
        Assert.Contains("CPU%↓", h.Screen);

        h.Containers.Set("aaa", cpuSeconds: 0.2);
        h.Containers.Set("zzz", cpuSeconds: 3.0);
        h.NextRefresh();
        Assert.Equal(["zzz", "aaa"], Order(h));

        h.Type("4");
        Assert.Equal(["aaa", "zzz"], Order(h));
        Assert.Contains("CPU%↑", h.Screen);

        h.Type("s");   // next column (Quota%)
        Assert.Equal(4, h.Window.Model.SortColumn);
    }

    [Fact]
    public void Slash_filters_by_name_and_the_filter_survives_refreshes()
    {
        using var h = new DashboardHarness();
        h.Containers.Set("web-1");
        h.Containers.Set("web-2");
        h.Cgroups.Set("batch");
        h.Start();

        h.Type("/");
        Assert.True(h.Window.FilterActive);
        h.Type("WEB");
        h.Press(Key.Enter);
        Assert.Empty(h.RowsOf("batch"));
        Assert.Equal(2, h.RowsOf("web-1", "web-2").Count);

        h.NextRefresh();
        Assert.Empty(h.RowsOf("batch"));
        Assert.Contains("filter 'WEB'", h.Screen);

        h.Type("/");
        h.Press(Key.Esc);
        Assert.Single(h.RowsOf("batch"));
        Assert.False(h.Window.FilterActive);
    }

    [Fact]
    public void The_selection_follows_its_item_when_rows_appear_and_moves_on_when_it_vanishes()
    {
        using var h = new DashboardHarness();
        h.Containers.Set("b");
        h.Containers.Set("c");
        h.Containers.Set("d");
        h.Start();
        h.Press(Key.CursorDown);
        Assert.Equal("c", h.Window.SelectedItem?.Name);

        h.Containers.Set("a");
        h.NextRefresh();
        Assert.Equal("c", h.Window.SelectedItem?.Name);

        h.Containers.Drop("c");
        h.NextRefresh();
        Assert.NotNull(h.Window.SelectedItem);
        Assert.NotEqual("c", h.Window.SelectedItem!.Name);
        Assert.Empty(h.RowsOf("c"));
        Assert.Contains(h.Sampler.RecentEvents, e => e.Name == "c" && e.Event == MonitorEventKind.Disappeared);

        foreach (var name in new[] { "a", "b", "d" })
        {
            h.Containers.Drop(name);
        }
        h.NextRefresh();
        Assert.Null(h.Window.SelectedItem);
        h.Press(Key.Enter, Key.CursorDown);
        Assert.Contains("Nothing selected", h.Window.DetailContent);
    }

    [Fact]
    public void A_source_that_fails_once_keeps_its_rows_and_the_others_refresh()
    {
        using var h = new DashboardHarness();
        h.Containers.Set("web", memory: 1 << 20);
        h.Cgroups.Set("batch", memory: 1 << 20);
        h.Start();

        h.Containers.FailNextRead = new IOException("state directory vanished");
        h.Cgroups.Set("batch", memory: 5 << 20);
        h.NextRefresh();

        Assert.Single(h.RowsOf("web"));
        Assert.Contains("5M", h.RowsOf("batch")[0]);
        Assert.Contains(h.Sampler.RecentEvents, e => e.Event == MonitorEventKind.SourceError && e.Message.Contains("vanished"));
        Assert.DoesNotContain(h.Sampler.RecentEvents, e => e.Event == MonitorEventKind.Disappeared);
    }

    [Fact]
    public void Enter_shows_the_detail_pane_with_limits_history_events_and_output()
    {
        using var h = new DashboardHarness();
        h.Containers.Set("web", memory: 1 << 20, memoryLimit: 8 << 20, oomKills: 0);
        h.Start();
        h.Containers.Set("web", memory: 8 << 20, memoryLimit: 8 << 20, oomKills: 1, cpuSeconds: 1);
        h.NextRefresh();

        h.Press(Key.Enter);
        Assert.True(h.Window.DetailVisible);
        var detail = h.Window.DetailContent;
        Assert.Contains("Container web: Running", detail);
        Assert.Contains("Source", detail);
        Assert.Contains("OOM killer killed 1 process", detail);
        Assert.Contains("last line of web", detail);
        Assert.Contains("█", detail);
        Assert.Contains("Details: Container web", h.Screen);

        h.Press(Key.Enter);
        Assert.False(h.Window.DetailVisible);
    }

    [Fact]
    public async Task An_action_is_confirmed_before_the_core_is_called()
    {
        using var h = new DashboardHarness();
        h.Containers.Set("web");
        h.Start();

        // Actions offered: Stop, Kill, Remove, Cancel. Choose Kill, then say No.
        h.Prompts.Answer(1, 1);
        h.Type("x");
        await h.Window.ActionTask.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Empty(h.Containers.Performed);
        Assert.Equal(["Stop", "Kill", "Remove", "Cancel"], h.Prompts.Asked[0].Options);
        Assert.Contains("Kill container 'web'?", h.Prompts.Asked[1].Message);
        Assert.Contains("cancelled", h.Window.StatusMessage);

        // Kill, then Yes.
        h.Prompts.Answer(1, 0);
        h.Type("x");
        await h.Window.ActionTask.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([("web", ItemActions.Kill)], h.Containers.Performed);
        Assert.Contains(h.Sampler.EventsOf(MonitoredKind.Container, "web"), e => e.Event == MonitorEventKind.Action && e.Message == "Kill done");
    }

    [Fact]
    public void Read_only_refuses_actions_without_asking()
    {
        using var h = new DashboardHarness(readOnly: true);
        h.Containers.Set("web");
        h.Start();

        h.Prompts.Answer(1, 0);
        h.Type("x");
        Assert.Empty(h.Prompts.Asked);
        Assert.Empty(h.Containers.Performed);
        Assert.Contains("read-only", h.Window.StatusMessage);
        Assert.Contains("Actions (off)", h.Screen);
    }

    [Fact]
    public void The_status_bar_shows_the_keys_and_help_lists_the_quit_key()
    {
        using var h = new DashboardHarness();
        h.Containers.Set("web");
        h.Start();
        var screen = h.Screen;
        foreach (var label in new[] { "Quit", "Details", "Filter", "All/Running", "Sort", "Actions", "Help" })
        {
            Assert.Contains(label, screen);
        }
        Assert.Contains("q or Esc to quit", screen);

        h.Type("?");
        Assert.Equal("Keys", h.Prompts.Asked.Single().Title);
        Assert.Contains("Ctrl+C does not reach PowerShell", h.Prompts.Asked.Single().Message);
    }

    [Fact]
    public void A_resize_keeps_the_rows_and_the_selection()
    {
        using var h = new DashboardHarness();
        for (var i = 0; i < 30; i++)
        {
            h.Cgroups.Set($"g{i:00}");
        }
        h.Start();
        for (var i = 0; i < 25; i++)
        {
            h.Press(Key.CursorDown);
        }
        Assert.Equal("g25", h.Window.SelectedItem?.Name);

        h.App.Driver!.SetScreenSize(70, 16);
        h.NextRefresh();
        Assert.Equal("g25", h.Window.SelectedItem?.Name);
        Assert.Single(h.RowsOf("g25"));

        h.App.Driver!.SetScreenSize(150, 40);
        h.NextRefresh();
        Assert.Single(h.RowsOf("g25"));
    }

    [Fact]
    public void Q_asks_the_application_to_stop_the_window()
    {
        using var h = new DashboardHarness();
        h.Start();
        h.Type("q");
        Assert.True(h.Window.StopRequested);
    }

    private static List<string> Order(DashboardHarness h) => h.Window.Model.Rows.Select(r => r.Name).ToList();
}
