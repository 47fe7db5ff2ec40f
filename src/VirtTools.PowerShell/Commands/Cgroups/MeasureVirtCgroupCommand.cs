using System.Management.Automation;
using VirtTools.Cgroups;

namespace VirtTools.PowerShell.Commands.Cgroups;

/// <summary>
/// <para type="synopsis">Measures CPU use, memory and pids of cgroups over an interval.</para>
/// </summary>
/// <remarks>
/// <para>Measure-VirtCgroup reads each group's stats, waits -Seconds, reads them again and returns one measurement per group: CPU use in percent of one CPU (150 means one and a half CPUs busy) from the group's own usage counter, memory and pids at the end, and how much the throttling, OOM-kill, pids-limit and io counters grew. All groups are measured over the same interval.</para>
/// </remarks>
/// <example>
/// <code>Measure-VirtCgroup -Name demo</code>
/// <para>CPU %, memory and pids of demo over one second.</para>
/// </example>
/// <example>
/// <code>Get-VirtCgroup | Measure-VirtCgroup -Seconds 5 | Sort-Object CpuPercent -Descending</code>
/// <para>Ranks every group by CPU use over five seconds.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "VirtCgroup")]
[OutputType(typeof(CgroupMeasurement))]
public sealed class MeasureVirtCgroupCommand : CgroupCommandBase, IDisposable
{
    /// <summary>
    /// <para>Names of the groups to measure; wildcards allowed. Default: all.</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[] Name { get; set; } = ["*"];

    /// <summary>
    /// <para>How long to measure, in seconds (0.1 to 3600). Default 1.</para>
    /// </summary>
    [Parameter]
    [ValidateRange(0.1, 3600)]
    public double Seconds { get; set; } = 1;

    private readonly List<Cgroup> groups = [];
    private readonly CancellationTokenSource stop = new();

    protected override void ProcessRecord() => groups.AddRange(Resolve(Name, null).Where(g => !groups.Exists(x => x.Name == g.Name)));

    protected override void EndProcessing()
    {
        var before = new CgroupStats?[groups.Count];
        for (var i = 0; i < groups.Count; i++)
        {
            before[i] = Read(groups[i]);
        }
        stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(Seconds));
        if (stop.IsCancellationRequested)
        {
            return;
        }
        for (var i = 0; i < groups.Count; i++)
        {
            if (before[i] is { } start && Read(groups[i]) is { } end)
            {
                WriteObject(CgroupMeasurement.Between(groups[i].Name, start, end));
            }
        }
    }

    protected override void StopProcessing() => stop.Cancel();

    public void Dispose() => stop.Dispose();

    private CgroupStats? Read(Cgroup group)
    {
        try
        {
            return group.ReadStats();
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, group.Name);
            return null;
        }
    }
}
