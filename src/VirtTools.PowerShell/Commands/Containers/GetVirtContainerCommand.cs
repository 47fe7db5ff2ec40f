using System.Management.Automation;
using VirtTools.Isolation;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Containers;

/// <summary>
/// <para type="synopsis">Lists the containers on this host, from any pwsh, with their live status.</para>
/// </summary>
/// <remarks>
/// <para>Get-VirtContainer reads the host-wide state under /run/virttools/containers; there is no daemon. The status comes from the monitor helper's files and /proc: Created, Running, Exited, or Stale when the monitor died without recording an end (its pwsh was killed, the host rebooted). Remove-VirtContainer cleans stale containers.</para>
/// <para>One-shot runs of Invoke-VirtContainer appear only while they run.</para>
/// </remarks>
/// <example>
/// <code>Get-VirtContainer</code>
/// <para>Shows every container with its status, isolation level, init pid and exit code.</para>
/// </example>
/// <example>
/// <code>Get-VirtContainer -Status Stale | Remove-VirtContainer</code>
/// <para>Cleans what crashed sessions left behind.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "VirtContainer")]
[OutputType(typeof(Container))]
public sealed class GetVirtContainerCommand : VirtCmdlet
{
    private readonly ContainerRuntime runtime = new();

    /// <summary>
    /// <para>Names of the containers to show; wildcards allowed. Without it, all containers.</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary>
    /// <para>Only containers in these states.</para>
    /// </summary>
    [Parameter]
    [ValidateSet("Created", "Running", "Exited", "Stale", IgnoreCase = true)]
    public string[]? Status { get; set; }

    protected override void ProcessRecord()
    {
        IReadOnlyList<Container> all;
        try
        {
            all = Invoke(() => runtime.List());
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e);
            return;
        }
        var selected = all.Where(c => Status is null || Status.Contains(c.Status.ToString(), StringComparer.OrdinalIgnoreCase));
        if (Name is null)
        {
            WriteObject(selected, enumerateCollection: true);
            return;
        }
        var list = selected.ToList();
        foreach (var name in Name)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = list.Where(c => pattern.IsMatch(c.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteFailure(ContainerStore.NotFound(name), name);
            }
            WriteObject(matches, enumerateCollection: true);
        }
    }
}
