using System.Diagnostics;
using VirtTools.Monitoring;

namespace VirtTools.Tests.Monitoring;

/// <summary>A source whose items a test sets directly; counters advance by what the test says.</summary>
internal sealed class FakeMonitorSource(MonitoredKind kind) : IMonitorSource
{
    private readonly Dictionary<string, ItemReading> items = new(StringComparer.Ordinal);
    private long ticks = 1;

    public MonitoredKind Kind => kind;

    public List<(string Name, ItemActions Action)> Performed { get; } = [];

    /// <summary>Thrown by the next Read, to simulate a source that fails once.</summary>
    public Exception? FailNextRead { get; set; }

    public void Set(string name, string state = "Running", bool running = true, double cpuSeconds = 0, long memory = 0, long? memoryLimit = null,
        double? quota = null, long? pids = null, long? oomKills = null, ItemActions actions = ItemActions.Stop | ItemActions.Kill | ItemActions.Remove) =>
        items[name] = new ItemReading
        {
            Kind = kind,
            Name = name,
            State = state,
            IsRunning = running,
            Started = DateTimeOffset.UtcNow.AddMinutes(-5),
            CpuUsage = TimeSpan.FromSeconds(cpuSeconds),
            CpuQuota = quota,
            MemoryBytes = memory,
            MemoryLimit = memoryLimit,
            Pids = pids,
            OomKills = oomKills,
            Actions = actions,
            Details = [new("Source", "fake")],
        };

    public void Drop(string name) => items.Remove(name);

    /// <summary>Moves the monotonic clock one second on: rates between two reads are per this second.</summary>
    public void Tick() => ticks += Stopwatch.Frequency;

    public void Read(ICollection<ItemReading> readings)
    {
        if (FailNextRead is { } e)
        {
            FailNextRead = null;
            throw e;
        }
        foreach (var item in items.Values)
        {
            readings.Add(item with { MonotonicTicks = ticks });
        }
    }

    public void Perform(string name, ItemActions action)
    {
        lock (Performed)
        {
            Performed.Add((name, action));
        }
    }

    public IReadOnlyList<string> Tail(string name, int lines) => [$"last line of {name}"];
}
