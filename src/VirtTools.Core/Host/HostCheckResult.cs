namespace VirtTools.Host;

/// <summary>Outcome of one host check.</summary>
public enum HostCheckStatus
{
    Pass,
    Warn,
    Fail,
}

/// <summary>One row of <c>Test-VirtHost</c>: what was checked, for which feature, the outcome, what was seen, and how to fix it.</summary>
public sealed record HostCheckResult(string Area, string Check, HostCheckStatus Status, string Detail, string? Hint);
