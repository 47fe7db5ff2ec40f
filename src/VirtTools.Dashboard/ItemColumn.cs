namespace VirtTools.Dashboard;

/// <summary>One table column: its header, how a row shows in it, and what it sorts by (null sorts last).</summary>
internal sealed record ItemColumn(string Header, Func<Monitoring.MonitorSample, string> Text, Func<Monitoring.MonitorSample, IComparable?> SortKey, bool AlignRight = true);
