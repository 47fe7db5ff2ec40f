using System.Management.Automation;
using VirtTools.Cgroups;

namespace VirtTools.PowerShell.Commands.Cgroups;

/// <summary>
/// <para type="synopsis">Gets our cgroups with their limits, live usage and event counts.</para>
/// </summary>
/// <remarks>
/// <para>Get-VirtCgroup returns the groups under virttools/ below this process's cgroups, each with its limits (Limits), one reading of its usage (Stats) and the ids of its processes. The figures have the same names on cgroup v1, v2 and hybrid hosts; a figure the layout does not have is null (v1 has no OOM count, only OOM kills, and no memory.high hits).</para>
/// <para>Names accept wildcards. A literal name that does not exist is reported as a CgroupNotFound error; a wildcard that matches nothing returns nothing.</para>
/// </remarks>
/// <example>
/// <code>Get-VirtCgroup</code>
/// <para>Lists every group with memory, CPU, pids and OOM-kill figures.</para>
/// </example>
/// <example>
/// <code>(Get-VirtCgroup -Name demo).Stats.OomKillCount</code>
/// <para>How many processes the OOM killer killed in group demo.</para>
/// </example>
/// <example>
/// <code>Get-VirtCgroup web-* | Select-Object Name, @{ n = 'Throttled'; e = { $_.Stats.CpuThrottledTime } }</code>
/// <para>Shows how long each web group was held back by its CPU quota.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "VirtCgroup")]
[OutputType(typeof(CgroupInfo))]
public sealed class GetVirtCgroupCommand : CgroupCommandBase
{
    /// <summary>
    /// <para>Names of the groups to get; wildcards allowed. Default: all.</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[] Name { get; set; } = ["*"];

    protected override void ProcessRecord()
    {
        foreach (var group in Resolve(Name, null))
        {
            try
            {
                WriteObject(Invoke(group.Describe));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, group.Name);
            }
        }
    }
}
