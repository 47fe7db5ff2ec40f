namespace VirtTools.Monitoring;

/// <summary>
/// CPU time and resident memory of one process or thread, from procfs: what a machine without a
/// cgroup of its own costs (a detached machine is its VMM process, an in-process one its vCPU thread).
/// </summary>
public static class ProcessUsage
{
    /// <summary>Clock ticks per second of utime/stime in /proc/*/stat: USER_HZ, 100 on every Linux ABI .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>A process's user plus system CPU time, or null when it is gone.</summary>
    public static TimeSpan? ProcessCpu(int pid) => CpuFrom($"/proc/{pid}/stat");

    /// <summary>One thread of this process (by its kernel thread id), or null when it is gone.</summary>
    public static TimeSpan? ThreadCpu(int tid) => CpuFrom($"/proc/self/task/{tid}/stat");

    /// <summary>A process's resident set in bytes (statm's second field, in pages), or null when it is gone.</summary>
    public static long? ResidentBytes(int pid)
    {
        var text = TryRead($"/proc/{pid}/statm");
        var fields = text?.Split(' ');
        return fields is [_, var resident, ..] && long.TryParse(resident, out var pages) ? pages * Environment.SystemPageSize : null;
    }

    /// <summary>utime + stime, fields 14 and 15 of a stat file; the command name before them may hold spaces.</summary>
    private static TimeSpan? CpuFrom(string path)
    {
        var text = TryRead(path);
        var close = text?.LastIndexOf(')') ?? -1;
        if (close < 0)
        {
            return null;
        }
        var fields = text![(close + 2)..].Split(' ');
        return fields.Length > 12 && long.TryParse(fields[11], out var user) && long.TryParse(fields[12], out var system)
            ? TimeSpan.FromSeconds((user + system) / TicksPerSecond)
            : null;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the process or thread ended between the listing and the read
        }
    }
}
