namespace VirtTools.Dashboard;

/// <summary>The dashboard's questions to the user; tests answer them without a terminal.</summary>
internal interface IDashboardPrompts
{
    /// <summary>Shows <paramref name="message"/> with one button per option; returns the chosen index, or null when dismissed.</summary>
    int? Choose(string title, string message, IReadOnlyList<string> options);
}
