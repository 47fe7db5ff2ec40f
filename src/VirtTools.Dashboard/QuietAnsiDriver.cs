using System.Reflection;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;

namespace VirtTools.Dashboard;

/// <summary>
/// Terminal.Gui's ANSI driver with <see cref="PollingFreeAnsiInput"/> as its input, so an idle
/// dashboard sleeps instead of polling.
/// </summary>
/// <remarks>
/// Terminal.Gui 2.5 takes a component factory only through an internal constructor (its tests' way
/// in), so <see cref="CreateApplication"/> sets the application's factory field by reflection. If a
/// later Terminal.Gui renames that field, the dashboard runs on the stock driver and says so (it still
/// works, at the stock driver's idle cost).
/// </remarks>
internal static class QuietAnsiDriver
{
    /// <summary>The field of Terminal.Gui's ApplicationImpl that CreateDriver consults before its driver names.</summary>
    private const string FactoryField = "_componentFactory";

    /// <summary>
    /// A new application on the quiet driver, and whether the driver could be installed.
    /// <paramref name="inputArrived"/> is called on the input thread whenever keys are queued.
    /// </summary>
    public static (IApplication App, bool Quiet) CreateApplication(Action? inputArrived = null)
    {
        var app = Application.Create();
        var field = app.GetType().GetField(FactoryField, BindingFlags.Instance | BindingFlags.NonPublic);
        if (field is null || !field.FieldType.IsAssignableFrom(typeof(Factory)))
        {
            return (app, false);
        }
        field.SetValue(app, new Factory(inputArrived));
        return (app, true);
    }

    /// <summary>The ANSI driver's parts, with the input swapped.</summary>
    private sealed class Factory(Action? inputArrived) : AnsiComponentFactory
    {
        public override IInput<char> CreateInput() => new PollingFreeAnsiInput(inputArrived);
    }
}
