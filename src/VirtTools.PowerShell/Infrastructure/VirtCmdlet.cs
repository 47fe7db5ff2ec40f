using System.Management.Automation;
using VirtTools.Diagnostics;

namespace VirtTools.PowerShell.Infrastructure;

/// <summary>
/// Base of every VirtTools cmdlet. Core calls run inside a <see cref="LogCapture"/>, so log events
/// raised on any thread are replayed here, on the pipeline thread, as -Verbose, -Debug or warnings
/// (cmdlet Write* methods are only legal on that thread). Exceptions become ErrorRecords through
/// <see cref="ErrorRecords"/>.
/// </summary>
public abstract class VirtCmdlet : PSCmdlet
{
    /// <summary>Runs asynchronous core work, replaying its log events while waiting; rethrows its failure.</summary>
    protected T Await<T>(Func<Task<T>> work)
    {
        using var capture = LogCapture.Begin();
        var task = Task.Run(work);
        capture.Pump(task, Replay);
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Runs synchronous core work on the pipeline thread, then replays its log events.</summary>
    protected T Invoke<T>(Func<T> work)
    {
        using var capture = LogCapture.Begin();
        try
        {
            return work();
        }
        finally
        {
            foreach (var record in capture.Drain())
            {
                Replay(record);
            }
        }
    }

    /// <summary>Runs synchronous core work that returns nothing.</summary>
    protected void Invoke(Action work) => Invoke(() =>
    {
        work();
        return true;
    });

    /// <summary>Reports a per-item failure and goes on with the next item.</summary>
    protected void WriteFailure(Exception exception, object? target = null) => WriteError(ErrorRecords.From(exception, target));

    /// <summary>Stops the command with the mapped ErrorRecord.</summary>
    protected void ThrowFailure(Exception exception, object? target = null) => ThrowTerminatingError(ErrorRecords.From(exception, target));

    private void Replay(LogRecord record)
    {
        var text = record.ThreadId == Environment.CurrentManagedThreadId
            ? record.Message
            : $"{record.Message} [thread {record.ThreadId}]";
        switch (record.Severity)
        {
            case LogSeverity.Verbose or LogSeverity.Debug:
                WriteDebug(text);
                break;
            case LogSeverity.Information:
                WriteVerbose(text);
                break;
            default:
                WriteWarning(record.Exception is null ? text : $"{text}: {record.Exception}");
                break;
        }
    }
}
