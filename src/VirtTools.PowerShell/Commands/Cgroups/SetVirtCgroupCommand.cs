using System.Management.Automation;
using VirtTools.Cgroups;

namespace VirtTools.PowerShell.Commands.Cgroups;

/// <summary>
/// <para type="synopsis">Changes limits of cgroups, setting only the parameters passed.</para>
/// </summary>
/// <remarks>
/// <para>Set-VirtCgroup writes the limits given on the command line and leaves every other limit as it is: Set-VirtCgroup -Memory 1GB never resets the CPU quota. Pass 'max' to remove a memory, CPU or pids limit.</para>
/// <para>All values are checked before anything is written, so a bad value changes nothing. Groups come by name (wildcards allowed) or piped from Get-VirtCgroup.</para>
/// </remarks>
/// <example>
/// <code>Set-VirtCgroup -Name demo -Memory 128MB</code>
/// <para>Raises the memory limit of demo, keeping its CPU and pids limits.</para>
/// </example>
/// <example>
/// <code>Get-VirtCgroup web-* | Set-VirtCgroup -Cpu 0.5 -PassThru</code>
/// <para>Caps every web group at half a CPU and shows the result.</para>
/// </example>
/// <example>
/// <code>Set-VirtCgroup demo -Pids max -WhatIf</code>
/// <para>Shows which group would lose its pids limit, without changing it.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "VirtCgroup", SupportsShouldProcess = true, DefaultParameterSetName = "Name")]
[OutputType(typeof(CgroupInfo))]
public sealed class SetVirtCgroupCommand : CgroupLimitsCommandBase
{
    /// <summary>
    /// <para>Names of the groups to change; wildcards allowed.</para>
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
    /// <para>Return each changed group with its new limits.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

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
        foreach (var group in Resolve(ParameterSetName == "Name" ? Name : null, ParameterSetName == "InputObject" ? InputObject : null))
        {
            if (!ShouldProcess(group.Name, "Set cgroup limits"))
            {
                continue;
            }
            try
            {
                Invoke(() => group.SetLimits(limits));
                if (PassThru)
                {
                    WriteObject(Invoke(group.Describe));
                }
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, group.Name);
            }
        }
    }
}
