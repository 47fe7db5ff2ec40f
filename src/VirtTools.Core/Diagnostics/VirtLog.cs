using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace VirtTools.Diagnostics;

/// <summary>
/// The process's log: a rolling compact-JSON file (one file a day, 7 kept) plus the capture sink
/// that lets cmdlets replay events as -Verbose/-Debug. The file lives in <see cref="LogDirectory"/>:
/// $VIRTTOOLS_LOG_DIR if set, else /var/log/virttools for root, else
/// $XDG_STATE_HOME/virttools/logs (default ~/.local/state/virttools/logs).
/// </summary>
public static class VirtLog
{
    private static readonly Lazy<Logger> root = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Where the log files are written.</summary>
    public static string LogDirectory { get; } = ResolveDirectory();

    /// <summary>The current log file pattern (Serilog appends the date before the extension).</summary>
    public static string LogFilePattern => Path.Combine(LogDirectory, "virttools-.clef");

    /// <summary>A logger tagged with the component that writes through it.</summary>
    public static ILogger For(string component) => root.Value.ForContext("Component", component);

    /// <summary>A logger tagged with the type that writes through it.</summary>
    public static ILogger For<T>() => For(typeof(T).Name);

    /// <summary>Writes buffered events to disk; called when the module is removed.</summary>
    public static void Flush()
    {
        if (root.IsValueCreated)
        {
            root.Value.Dispose();
        }
    }

    private static Logger Create()
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .Enrich.With(new ThreadIdEnricher())
            .Enrich.WithProperty("ProcessId", Environment.ProcessId)
            .WriteTo.Sink(new CaptureSink());
        try
        {
            Directory.CreateDirectory(LogDirectory);
            config = config.WriteTo.File(
                new CompactJsonFormatter(),
                LogFilePattern,
                rollingInterval: RollingInterval.Day,
                retainedFileCountLimit: 7,
                shared: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only home or log directory must not stop the module: events still reach -Verbose.
        }
        return config.CreateLogger();
    }

    private static string ResolveDirectory()
    {
        var overridden = Environment.GetEnvironmentVariable("VIRTTOOLS_LOG_DIR");
        if (!string.IsNullOrEmpty(overridden))
        {
            return overridden;
        }
        if (Environment.IsPrivilegedProcess)
        {
            return "/var/log/virttools";
        }
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state))
        {
            state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        }
        return Path.Combine(state, "virttools", "logs");
    }

    private sealed class ThreadIdEnricher : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory factory) =>
            logEvent.AddPropertyIfAbsent(factory.CreateProperty("ThreadId", Environment.CurrentManagedThreadId));
    }
}
