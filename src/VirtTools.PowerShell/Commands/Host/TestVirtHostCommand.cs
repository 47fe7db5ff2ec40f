using System.Management.Automation;
using VirtTools.Host;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Host;

/// <summary>
/// <para type="synopsis">Checks each capability VirtTools needs and says how to fix what fails.</para>
/// </summary>
/// <remarks>
/// <para>Test-VirtHost measures the host like Get-VirtHost, then returns one row per check with a status of Pass, Warn or Fail, what was seen, and a one-line hint on how to fix it, in the manner of libvirt's virt-host-validate.</para>
/// <para>Areas: Host (hypervisor, container), Machines (VT-x/AMD-V, /dev/kvm, API version, extensions, in-kernel devices, KVM kind), Cgroups (layout and each controller the limits use) and Containers (namespace kinds, user namespaces, root).</para>
/// </remarks>
/// <example>
/// <code>Test-VirtHost</code>
/// <para>Shows every check grouped by area.</para>
/// </example>
/// <example>
/// <code>Test-VirtHost -Area Machines | Where-Object Status -ne Pass</code>
/// <para>Shows why machines would be slow or would not run here.</para>
/// </example>
/// <example>
/// <code>if (-not (Test-VirtHost -Area Cgroups -Quiet)) { throw 'cgroup limits unavailable' }</code>
/// <para>Uses the Boolean form in a script: True when no check failed.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Test, "VirtHost")]
[OutputType(typeof(HostCheckResult))]
[OutputType(typeof(bool))]
public sealed class TestVirtHostCommand : VirtCmdlet
{
    /// <summary>
    /// <para>Only run the checks of these areas: Host, Machines, Cgroups, Containers.</para>
    /// </summary>
    [Parameter(Position = 0)]
    [ValidateSet("Host", "Machines", "Cgroups", "Containers")]
    public string[]? Area { get; set; }

    /// <summary>
    /// <para>Return only True when no check failed (warnings pass), or False.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void EndProcessing()
    {
        IReadOnlyList<HostCheckResult> rows;
        try
        {
            var host = Await(() => HostProbe.ProbeAsync());
            rows = HostValidator.Validate(host)
                .Where(r => Area is null || Area.Contains(r.Area, StringComparer.OrdinalIgnoreCase))
                .ToList();
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e);
            return;
        }
        if (Quiet)
        {
            WriteObject(rows.All(r => r.Status != HostCheckStatus.Fail));
            return;
        }
        WriteObject(rows, enumerateCollection: true);
    }
}
