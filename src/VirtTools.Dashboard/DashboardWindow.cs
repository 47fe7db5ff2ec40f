using System.Text;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using VirtTools.Monitoring;

namespace VirtTools.Dashboard;

/// <summary>
/// The dashboard's one window: a summary line, an optional name filter, the item table refreshed by
/// a timer (keeping scroll position, selection, sort and filter), an optional detail pane, and a
/// status bar listing the keys. Each part is built by its own Create* method.
/// </summary>
internal sealed class DashboardWindow : Window
{
    private const int DetailHeight = 18;

    private readonly MonitorSampler sampler;
    private readonly DashboardOptions options;
    private readonly DashboardModel model = new();
    private readonly Label header;
    private readonly TextField filterField;
    private readonly TableView table;
    private readonly FrameView detailFrame;
    private readonly Label detailText;
    private readonly Shortcut messageShortcut;
    private readonly StatusBar statusBar;
    private IApplication? app;
    private object? timer;
    private string? selectedKey;
    private int selectedIndex;
    private bool rendering;

    public DashboardWindow(MonitorSampler sampler, DashboardOptions options)
    {
        this.sampler = sampler;
        this.options = options;
        Title = $"VirtTools dashboard ({HelpText.QuitKeys} to quit, ? for help){(options.ReadOnly ? " [read-only]" : "")}";
        header = CreateHeader();
        filterField = CreateFilterField();
        messageShortcut = new Shortcut(Key.Empty, "", null);
        statusBar = CreateStatusBar();
        (detailFrame, detailText) = CreateDetailPane();
        table = CreateTable();
        Add(header, filterField, table, detailFrame, statusBar);
    }

    internal DashboardModel Model => model;

    internal TableView Table => table;

    internal Label Header => header;

    internal bool DetailVisible => detailFrame.Visible;

    internal string DetailContent => detailText.Text;

    internal bool FilterActive => filterField.Visible;

    /// <summary>The last note shown in the status bar (action results, read-only refusals).</summary>
    internal string StatusMessage => messageShortcut.Title;

    /// <summary>The questions to the user; message boxes unless a test replaces them.</summary>
    internal IDashboardPrompts? Prompts { get; set; }

    /// <summary>The last action started from the menu (tests wait on it).</summary>
    internal Task ActionTask { get; private set; } = Task.CompletedTask;

    /// <summary>The item under the cursor, if any.</summary>
    internal MonitorSample? SelectedItem =>
        table.Value is { } v && v.SelectedCell.Y >= 0 && v.SelectedCell.Y < model.Rows.Count ? model.Rows[v.SelectedCell.Y] : null;

    /// <summary>Takes the first reading and starts the refresh timer on <paramref name="application"/>.</summary>
    public void Start(IApplication application)
    {
        app = application;
        Prompts ??= new MessageBoxPrompts(application);
        RefreshNow();
        timer = application.AddTimeout(options.Interval, () =>
        {
            RefreshNow();
            return true;
        });
        table.SetFocus();
    }

    /// <summary>Reads every source and redraws; a failed refresh keeps the last rows and says why.</summary>
    internal void RefreshNow()
    {
        MonitorSnapshot snapshot;
        try
        {
            snapshot = sampler.Refresh();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            SetStatus($"refresh failed: {e.Message}");
            return;
        }
        model.Update(snapshot);
        Render();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && timer is not null)
        {
            app?.RemoveTimeout(timer);
            timer = null;
        }
        base.Dispose(disposing);
    }

    private Label CreateHeader() => new() { X = 0, Y = 0, Width = Dim.Fill(), Height = 1, Text = "starting..." };

    private TextField CreateFilterField()
    {
        var field = new TextField { X = 0, Y = 1, Width = Dim.Fill(), Visible = false };
        field.TextChanged += (_, _) =>
        {
            model.SetFilter(field.Text);
            Render();
        };
        field.KeyDown += (_, key) =>
        {
            if (key == Key.Enter)
            {
                EndFilter(keep: true);
                key.Handled = true;
            }
            else if (key == Key.Esc)
            {
                EndFilter(keep: false);
                key.Handled = true;
            }
        };
        return field;
    }

    private TableView CreateTable()
    {
        var view = new TableView
        {
            X = 0,
            Y = Pos.Func(_ => filterField.Visible ? 2 : 1),
            Width = Dim.Fill(),
            Height = Dim.Fill(Dim.Func(_ => (detailFrame.Visible ? DetailHeight : 0) + 1)),
            FullRowSelect = true,
            MultiSelect = false,
        };
        view.Style.AlwaysShowHeaders = true;
        view.Style.ShowHorizontalBottomLine = false;
        view.Style.ExpandLastColumn = true;
        view.ValueChanged += (_, _) =>
        {
            if (!rendering && SelectedItem is { } item)
            {
                selectedKey = item.Key;
                selectedIndex = view.Value!.SelectedCell.Y;
                UpdateDetail();
            }
        };
        // After a terminal resize the selected row must stay on screen.
        view.FrameChanged += (_, _) => view.EnsureCursorIsVisible();
        view.KeyDown += (_, key) =>
        {
            if (HandleKey(key))
            {
                key.Handled = true;
            }
        };
        return view;
    }

    private (FrameView Frame, Label Text) CreateDetailPane()
    {
        var frame = new FrameView { X = 0, Y = Pos.AnchorEnd(DetailHeight + 1), Width = Dim.Fill(), Height = DetailHeight, Title = "Details", Visible = false };
        var text = new Label { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill() };
        frame.Add(text);
        return (frame, text);
    }

    private StatusBar CreateStatusBar() => new(
    [
        new Shortcut(Key.Q, "Quit", RequestQuit),
        new Shortcut(Key.Enter, "Details", ToggleDetail),
        new Shortcut(new Key('/'), "Filter", BeginFilter),
        new Shortcut(Key.A, "All/Running", ToggleShowAll),
        new Shortcut(Key.S, "Sort", () => Sort(1)),
        new Shortcut(Key.X, options.ReadOnly ? "Actions (off)" : "Actions", OpenActions),
        new Shortcut(new Key('?'), "Help", ShowHelp),
        messageShortcut,
    ])
    { Y = Pos.AnchorEnd(1) };

    /// <summary>The dashboard's keys while the table has focus; true when handled.</summary>
    internal bool HandleKey(Key key)
    {
        if (key == Key.Enter)
        {
            ToggleDetail();
            return true;
        }
        if (key == Key.F5)
        {
            RefreshNow();
            return true;
        }
        if (key == Key.Esc && detailFrame.Visible)
        {
            ToggleDetail();
            return true;
        }
        if (key.IsCtrl || key.IsAlt)
        {
            return false;
        }
        switch ((char)key.AsRune.Value)
        {
            case 'q':
                RequestQuit();
                return true;
            case '/':
                BeginFilter();
                return true;
            case 'a':
                ToggleShowAll();
                return true;
            case 's':
                Sort(1);
                return true;
            case 'S':
                Sort(-1);
                return true;
            case 'r':
                model.SortBy(model.SortColumn);
                Render();
                return true;
            case >= '0' and <= '9' and var digit:
                model.SortBy(digit == '0' ? 9 : digit - '1');
                Render();
                return true;
            case 'x':
                OpenActions();
                return true;
            case '?':
                ShowHelp();
                return true;
            default:
                return false;
        }
    }

    private void Sort(int step)
    {
        model.SortNext(step);
        Render();
    }

    private void ToggleShowAll()
    {
        model.ToggleShowAll();
        Render();
    }

    private void RequestQuit() => (app ?? App)?.RequestStop(this);

    private void BeginFilter()
    {
        filterField.Visible = true;
        filterField.SetFocus();
        SetNeedsLayout();
    }

    private void EndFilter(bool keep)
    {
        if (!keep)
        {
            filterField.Text = "";
            model.SetFilter("");
        }
        filterField.Visible = model.Filter.Length > 0;
        Render();
        table.SetFocus();
        SetNeedsLayout();
    }

    private void ToggleDetail()
    {
        detailFrame.Visible = !detailFrame.Visible;
        UpdateDetail();
        SetNeedsLayout();
    }

    private void ShowHelp() => Prompts?.Choose("Keys", HelpText.For(options.ReadOnly), ["OK"]);

    /// <summary>Asks which action, asks again to confirm, then runs it on a worker thread.</summary>
    internal void OpenActions()
    {
        if (options.ReadOnly)
        {
            SetStatus("read-only: actions are disabled");
            return;
        }
        if (SelectedItem is not { } item || Prompts is null)
        {
            return;
        }
        var actions = Enum.GetValues<ItemActions>().Where(a => a != ItemActions.None && item.Actions.HasFlag(a)).ToList();
        if (actions.Count == 0)
        {
            SetStatus($"no actions for {item.Name} while {item.State}");
            return;
        }
        var choice = Prompts.Choose("Actions", $"{item.Kind} {item.Name} ({item.State})", [.. actions.Select(a => a.ToString()), "Cancel"]);
        if (choice is not { } index || index >= actions.Count)
        {
            return;
        }
        var action = actions[index];
        if (Prompts.Choose("Confirm", $"{action} {item.Kind.ToString().ToLowerInvariant()} '{item.Name}'?", ["Yes", "No"]) != 0)
        {
            SetStatus($"{action} {item.Name}: cancelled");
            return;
        }
        SetStatus($"{action} {item.Name}...");
        ActionTask = Task.Run(() => sampler.Perform(item.Kind, item.Name, action));
        ActionTask.ContinueWith(t => app?.Invoke(() =>
        {
            SetStatus(t.Exception is { } e ? $"{action} {item.Name} failed: {e.InnerException?.Message}" : $"{action} {item.Name}: done");
            RefreshNow();
        }), TaskScheduler.Default);
    }

    private void SetStatus(string message)
    {
        messageShortcut.Title = message;
        statusBar.SetNeedsLayout();
    }

    /// <summary>
    /// Replaces the table's rows, then puts back the scroll offsets and the selection (by item, or by
    /// position when the selected item is gone), as Terminal.Gui's ProcessTable scenario does. When
    /// every cell would read the same as on screen, the table is left alone: Terminal.Gui redraws a
    /// table by formatting every visible cell again, which was most of an idle dashboard's CPU.
    /// </summary>
    private void Render()
    {
        // Only a changed summary is assigned, so an unchanged header is not laid out and drawn again.
        var summary = model.Summary();
        if (header.Text != summary)
        {
            header.Text = summary;
        }
        var source = new ItemTableSource(model.Rows, model.Columns, model.SortColumn, model.SortDescending);
        if (table.Table is ItemTableSource shown && shown.ShowsSameAs(source))
        {
            UpdateDetail();
            return;
        }
        rendering = true;
        try
        {
            var rowOffset = table.RowOffset;
            var columnOffset = table.ColumnOffset;
            table.Table = source;
            for (var i = 0; i < model.Columns.Count; i++)
            {
                table.Style.GetOrCreateColumnStyle(i).Alignment = model.Columns[i].AlignRight ? Alignment.End : Alignment.Start;
            }
            table.RowOffset = rowOffset;
            table.ColumnOffset = columnOffset;
            var index = model.IndexOf(selectedKey);
            if (index < 0)
            {
                index = Math.Min(selectedIndex, model.Rows.Count - 1);
            }
            if (index >= 0)
            {
                table.SetSelection(0, index, false);
                selectedKey = model.Rows[index].Key;
                selectedIndex = index;
            }
            table.EnsureValidScrollOffsets();
            table.EnsureCursorIsVisible();
            UpdateDetail();
            table.SetNeedsDraw();
        }
        finally
        {
            rendering = false;
        }
    }

    private void UpdateDetail()
    {
        if (!detailFrame.Visible)
        {
            return;
        }
        if (SelectedItem is not { } item)
        {
            detailText.Text = "Nothing selected.";
            return;
        }
        var source = sampler.SourceOf(item.Kind);
        IReadOnlyList<string> output;
        try
        {
            output = source?.Tail(item.Name, 5) ?? [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            output = [];
        }
        detailFrame.Title = $"Details: {item.Kind} {item.Name}";
        detailText.Text = DetailText.For(item, sampler.EventsOf(item.Kind, item.Name), output, Math.Max(20, detailFrame.Viewport.Width));
    }
}
