using Serilog.Core;
using Serilog.Events;

namespace VirtTools.Diagnostics;

/// <summary>Serilog sink that hands each event to the <see cref="LogCapture"/> current on the raising flow.</summary>
internal sealed class CaptureSink : ILogEventSink
{
    public void Emit(LogEvent logEvent)
    {
        var capture = LogCapture.Current;
        if (capture is null)
        {
            return;
        }
        var threadId = logEvent.Properties.TryGetValue("ThreadId", out var value) && value is ScalarValue { Value: int id }
            ? id
            : Environment.CurrentManagedThreadId;
        capture.Add(new LogRecord(
            logEvent.Timestamp,
            (LogSeverity)(int)logEvent.Level,
            logEvent.RenderMessage(),
            threadId,
            logEvent.Exception?.Message));
    }
}
