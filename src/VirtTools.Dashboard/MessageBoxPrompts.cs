using Terminal.Gui.App;
using Terminal.Gui.Views;

namespace VirtTools.Dashboard;

/// <summary>Questions as Terminal.Gui message boxes (modal: they run until answered or Esc).</summary>
internal sealed class MessageBoxPrompts(IApplication app) : IDashboardPrompts
{
    public int? Choose(string title, string message, IReadOnlyList<string> options) =>
        MessageBox.Query(app, title, message, options.ToArray());
}
