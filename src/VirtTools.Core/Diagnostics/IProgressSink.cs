namespace VirtTools.Diagnostics;

/// <summary>
/// How long-running core work reports progress; the cmdlet implements it with WriteProgress, tests
/// with a list. Called on the thread that runs the work.
/// </summary>
public interface IProgressSink
{
    /// <param name="activity">What is being done, e.g. "Building root filesystem /tmp/rootfs".</param>
    /// <param name="status">The current step, e.g. the file being copied.</param>
    /// <param name="percent">0..100, or -1 when the total is unknown.</param>
    void Report(string activity, string status, int percent);

    /// <summary>A sink that drops every report.</summary>
    public static IProgressSink None { get; } = new NullSink();

    private sealed class NullSink : IProgressSink
    {
        public void Report(string activity, string status, int percent)
        {
        }
    }
}
