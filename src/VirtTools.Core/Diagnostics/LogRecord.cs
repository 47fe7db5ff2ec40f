namespace VirtTools.Diagnostics;

/// <summary>How much a log event matters; mirrors Serilog's levels without exposing Serilog.</summary>
public enum LogSeverity
{
    Verbose,
    Debug,
    Information,
    Warning,
    Error,
    Fatal,
}

/// <summary>
/// One log event as the PowerShell layer sees it: already rendered, with the thread that raised it,
/// so a cmdlet can replay it on its pipeline thread.
/// </summary>
public sealed record LogRecord(DateTimeOffset Timestamp, LogSeverity Severity, string Message, int ThreadId, string? Exception);
