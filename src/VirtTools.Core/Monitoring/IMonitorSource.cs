namespace VirtTools.Monitoring;

/// <summary>
/// One kind of item the dashboard shows. Read must be cheap (it runs every refresh for every item)
/// and must not throw for one item that vanishes mid-read: skip it. Perform runs on a worker thread.
/// </summary>
public interface IMonitorSource
{
    MonitoredKind Kind { get; }

    /// <summary>Appends a reading for every item that exists now.</summary>
    void Read(ICollection<ItemReading> readings);

    /// <summary>Runs one of the item's <see cref="ItemReading.Actions"/>; throws VirtToolsException on failure.</summary>
    void Perform(string name, ItemActions action);

    /// <summary>The last lines of the item's output (container output, machine serial console); empty when it has none.</summary>
    IReadOnlyList<string> Tail(string name, int lines);
}
