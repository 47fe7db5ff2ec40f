using System.Management.Automation;
using VirtTools.Cgroups;

namespace VirtTools.PowerShell.Commands.Cgroups;

/// <summary>
/// <para type="synopsis">Removes cgroups from every hierarchy, refusing groups with live processes unless -Force.</para>
/// </summary>
/// <remarks>
/// <para>Remove-VirtCgroup removes the group's directory from every hierarchy it was created in, so nothing of it is left behind. A group that still has processes is refused with a CgroupBusy error and left as it was; -Force kills its processes (SIGKILL, through cgroup.kill where the kernel has it) and then removes it.</para>
/// </remarks>
/// <example>
/// <code>Remove-VirtCgroup -Name demo</code>
/// <para>Removes demo if it has no processes; asks for confirmation first when $ConfirmPreference is Medium or lower.</para>
/// </example>
/// <example>
/// <code>Remove-VirtCgroup -Name demo -Force -Confirm:$false</code>
/// <para>Kills whatever runs in demo and removes it, without asking.</para>
/// </example>
/// <example>
/// <code>Get-VirtCgroup test-* | Remove-VirtCgroup -Force</code>
/// <para>Cleans up every test group.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "VirtCgroup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
[OutputType(typeof(void))]
public sealed class RemoveVirtCgroupCommand : CgroupCommandBase
{
    /// <summary>
    /// <para>Names of the groups to remove; wildcards allowed.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[] Name { get; set; } = [];

    /// <summary>
    /// <para>Groups as returned by Get-VirtCgroup or New-VirtCgroup.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = "InputObject", ValueFromPipeline = true)]
    public CgroupInfo[] InputObject { get; set; } = [];

    /// <summary>
    /// <para>Kill the group's processes first, instead of refusing a busy group.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var group in Resolve(ParameterSetName == "Name" ? Name : null, ParameterSetName == "InputObject" ? InputObject : null))
        {
            if (!ShouldProcess(group.Name, Force ? "Kill processes and remove cgroup" : "Remove cgroup"))
            {
                continue;
            }
            try
            {
                Invoke(() => group.Remove(Force));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, group.Name);
            }
        }
    }
}
