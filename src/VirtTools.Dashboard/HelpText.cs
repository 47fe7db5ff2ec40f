namespace VirtTools.Dashboard;

/// <summary>The keys, as the ? dialog lists them.</summary>
internal static class HelpText
{
    public const string QuitKeys = "q or Esc";

    public static string For(bool readOnly) => $"""
        Up/Down, PgUp/PgDn  move the selection
        Enter               show or hide the detail pane
        /                   filter by name (Enter keeps it, Esc clears it)
        a                   toggle all items / running only
        s, S                sort by the next / previous column
        1-9, 0              sort by column 1-10; again to reverse
        r                   reverse the sort order
        x                   actions: stop, kill, remove, pause, resume{(readOnly ? " (disabled: -ReadOnly)" : "")}
        F5                  refresh now
        ?                   this help
        {QuitKeys,-19} quit (Ctrl+C does not reach PowerShell here)
        """;
}
