namespace VirtTools.Cgroups;

/// <summary>
/// Pressure stall information for one resource (the kernel's PSI, &lt;resource&gt;.pressure): the share of
/// wall time in which some (or all) tasks of the group waited for the resource, averaged over 10, 60 and
/// 300 seconds, in percent, and the total stall time.
/// </summary>
public sealed record PressureStats(
    double SomeAvg10,
    double SomeAvg60,
    double SomeAvg300,
    TimeSpan SomeTotal,
    double FullAvg10,
    double FullAvg60,
    double FullAvg300,
    TimeSpan FullTotal);
