namespace VirtTools.Monitoring;

/// <summary>Things worth telling the user about that happened between two refreshes.</summary>
public enum MonitorEventKind
{
    Appeared,
    Disappeared,
    /// <summary>It stopped running normally.</summary>
    Exited,
    /// <summary>It stopped running abnormally (crash, signal, non-zero exit).</summary>
    Crashed,
    OomKill,
    MemoryLimitHit,
    PidsLimitHit,
    /// <summary>A source could not be read this time.</summary>
    SourceError,
    /// <summary>An action from the dashboard ran (or failed).</summary>
    Action,
}
