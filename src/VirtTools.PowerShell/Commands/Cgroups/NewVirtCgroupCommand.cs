using System.Management.Automation;
using VirtTools.Cgroups;

namespace VirtTools.PowerShell.Commands.Cgroups;

/// <summary>
/// <para type="synopsis">Creates a cgroup under virttools/ in every hierarchy and sets its limits.</para>
/// </summary>
/// <remarks>
/// <para>New-VirtCgroup creates the group below this process's own cgroup in each hierarchy that carries a controller (on a hybrid host: memory, cpu, cpuacct, cpuset, pids, blkio, plus the cgroup2 mount for pressure figures), all under one parent named virttools, and applies the limits passed. It returns the new group with its limits and a first reading of its stats.</para>
/// <para>Every value is checked before anything is created: a malformed or negative size, a CPU count above this host's, or a bad cpuset is reported with the accepted forms and nothing is created. If the kernel refuses a limit, the half-made group is removed again.</para>
/// <para>Sizes take PowerShell literals (64MB), strings ('1.5G', '512M', '64KiB') or 'max'.</para>
/// </remarks>
/// <example>
/// <code>New-VirtCgroup -Name demo -Memory 64MB -Pids 32</code>
/// <para>Creates virttools/demo with a 64 MiB memory limit and at most 32 tasks.</para>
/// </example>
/// <example>
/// <code>New-VirtCgroup -Name build -Cpu 1.5 -CpuWeight 50 -Memory '2G' -MemoryHigh '1.5G'</code>
/// <para>Creates a group allowed one and a half CPUs with half the default weight, reclaimed above 1.5 GiB and OOM-killed above 2 GiB.</para>
/// </example>
/// <example>
/// <code>Import-Csv groups.csv | New-VirtCgroup</code>
/// <para>Creates one group per row, taking Name, Memory, Cpu, Pids and the other limits from the columns of the same names.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "VirtCgroup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(CgroupInfo))]
public sealed class NewVirtCgroupCommand : CgroupLimitsCommandBase
{
    /// <summary>
    /// <para>Name of the group to create: letters, digits and . _ @ + -, up to 128 characters.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[] Name { get; set; } = [];

    protected override void ProcessRecord()
    {
        CgroupLimits limits;
        try
        {
            limits = BuildLimits();
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e);
            return;
        }
        foreach (var name in Name)
        {
            if (!ShouldProcess(name, "Create cgroup"))
            {
                continue;
            }
            try
            {
                WriteObject(Invoke(() => Manager.Create(name, limits).Describe()));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, name);
            }
        }
    }
}
