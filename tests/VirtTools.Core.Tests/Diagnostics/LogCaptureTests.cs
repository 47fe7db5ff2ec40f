using VirtTools.Diagnostics;

namespace VirtTools.Tests.Diagnostics;

public sealed class LogCaptureTests
{
    private static readonly Serilog.ILogger log = VirtLog.For<LogCaptureTests>();

    [Fact]
    public void EventsFromWorkerThreadsReachTheCapture()
    {
        using var capture = LogCapture.Begin();
        var workerThreads = new List<int>();
        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            log.Information("worker {Index}", i);
            lock (workerThreads)
            {
                workerThreads.Add(Environment.CurrentManagedThreadId);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var records = capture.Drain().ToList();
        Assert.Equal(4, records.Count(r => r.Message.StartsWith("worker ")));
        Assert.Equal(workerThreads.Order(), records.Select(r => r.ThreadId).Order());
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, records.Select(r => r.ThreadId));
    }

    [Fact]
    public void PumpReplaysOnTheCallingThreadWhileWaiting()
    {
        using var capture = LogCapture.Begin();
        var replayThreads = new List<int>();
        var task = Task.Run(async () =>
        {
            log.Information("first");
            await Task.Delay(120);
            log.Warning("second");
        });
        capture.Pump(task, _ => replayThreads.Add(Environment.CurrentManagedThreadId));
        Assert.Equal(2, replayThreads.Count);
        Assert.All(replayThreads, t => Assert.Equal(Environment.CurrentManagedThreadId, t));
    }

    [Fact]
    public async Task ConcurrentCapturesDoNotSeeEachOther()
    {
        async Task<List<string>> Capture(string tag)
        {
            using var capture = LogCapture.Begin();
            for (var i = 0; i < 20; i++)
            {
                await Task.Yield();
                log.Information("{Tag} {I}", tag, i);
            }
            return capture.Drain().Select(r => r.Message).ToList();
        }
        var results = await Task.WhenAll(Task.Run(() => Capture("a")), Task.Run(() => Capture("b")));
        Assert.All(results[0], m => Assert.StartsWith("\"a\"", m));
        Assert.All(results[1], m => Assert.StartsWith("\"b\"", m));
        Assert.Equal(20, results[0].Count);
    }

    [Fact]
    public void NothingIsCapturedAfterDispose()
    {
        var capture = LogCapture.Begin();
        capture.Dispose();
        log.Information("after");
        Assert.Empty(capture.Drain());
    }

    [Fact]
    public void SeverityIsCarriedOver()
    {
        using var capture = LogCapture.Begin();
        log.Debug("d");
        log.Warning("w");
        Assert.Equal([LogSeverity.Debug, LogSeverity.Warning], capture.Drain().Select(r => r.Severity));
    }
}
