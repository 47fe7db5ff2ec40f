namespace VirtTools.Isolation;

/// <summary>
/// A process named by pid and start time (field 22 of /proc/PID/stat), so that a recycled pid is
/// never mistaken for the container's process, nor signalled in its place.
/// </summary>
public readonly record struct ProcessIdentity(int Pid, ulong StartTime)
{
    public bool IsAlive => Pid > 0 && ReadStartTime(Pid) is { } start && start == StartTime && !IsZombie(Pid);

    public static ulong? ReadStartTime(int pid)
    {
        var fields = ReadStatFields(pid);
        return fields is { Length: > 19 } && ulong.TryParse(fields[19], out var start) ? start : null;
    }

    /// <summary>Fields 3 onwards of /proc/PID/stat (after the parenthesised command name), or null.</summary>
    private static string[]? ReadStatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var close = text.LastIndexOf(')');
            return close < 0 ? null : text[(close + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsZombie(int pid) => ReadStatFields(pid) is [var state, ..] && state is "Z" or "X";

    /// <summary>Parses "monitor PID START" style lines of the helper's runtime file.</summary>
    public static ProcessIdentity? Parse(string? text)
    {
        var parts = text?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is [_, var pid, var start] && int.TryParse(pid, out var p) && ulong.TryParse(start, out var s)
            ? new ProcessIdentity(p, s)
            : null;
    }
}
