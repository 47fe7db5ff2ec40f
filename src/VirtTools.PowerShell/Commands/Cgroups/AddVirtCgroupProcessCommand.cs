using System.Management.Automation;
using VirtTools.Cgroups;

namespace VirtTools.PowerShell.Commands.Cgroups;

/// <summary>
/// <para type="synopsis">Moves processes into a cgroup, in every hierarchy.</para>
/// </summary>
/// <remarks>
/// <para>Add-VirtCgroupProcess writes each process id to cgroup.procs of the group in every hierarchy, so the process (all its threads) is limited and accounted by every controller; its future children start in the group too. Processes come as ids or piped from Get-Process (their Id property binds to -Id).</para>
/// <para>A process that does not exist gives a ProcessNotFound error and the others are still moved.</para>
/// </remarks>
/// <example>
/// <code>$p = Start-Process /bin/sleep 60 -PassThru; Add-VirtCgroupProcess -Name demo -Id $p.Id</code>
/// <para>Starts a process and moves it into demo.</para>
/// </example>
/// <example>
/// <code>Get-Process nginx | Add-VirtCgroupProcess -Name web</code>
/// <para>Moves every nginx process into web.</para>
/// </example>
[Cmdlet(VerbsCommon.Add, "VirtCgroupProcess", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(CgroupInfo))]
public sealed class AddVirtCgroupProcessCommand : CgroupCommandBase
{
    /// <summary>
    /// <para>The group to move the processes into. Not taken from the pipeline, so piped Get-Process objects bind only their Id.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Name { get; set; } = "";

    /// <summary>
    /// <para>Ids of the processes to move; Get-Process objects piped in bind here by their Id property.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("ProcessId", "Pid")]
    public int[] Id { get; set; } = [];

    /// <summary>
    /// <para>Return the group after the processes were moved.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private Cgroup? group;

    protected override void BeginProcessing()
    {
        try
        {
            group = Manager.Open(Name);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, Name);
        }
    }

    protected override void ProcessRecord()
    {
        foreach (var pid in Id)
        {
            if (!ShouldProcess($"process {pid}", $"Move into cgroup {Name}"))
            {
                continue;
            }
            try
            {
                Invoke(() => group!.AddProcess(pid));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, pid);
            }
        }
    }

    protected override void EndProcessing()
    {
        if (PassThru && group is not null)
        {
            try
            {
                WriteObject(Invoke(group.Describe));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, Name);
            }
        }
    }
}
