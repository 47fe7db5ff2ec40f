using System.Management.Automation;
using VirtTools.Isolation;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Containers;

/// <summary>
/// The shared selection of existing containers for Start-, Stop-, Remove-, Wait-, Enter- and
/// Invoke-VirtContainer: by -Name (wildcards allowed, from the pipeline by property name too) or by
/// -InputObject (the objects Get-VirtContainer returns).
/// </summary>
public abstract class ContainerCommandBase : VirtCmdlet
{
    protected const string ByName = "Name";
    protected const string ByObject = "InputObject";

    /// <summary>
    /// <para>Names of the containers. Wildcards select every matching container.</para>
    /// </summary>
    [Parameter(ParameterSetName = ByName, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>
    /// <para>Container objects, as Get-VirtContainer and New-VirtContainer return them.</para>
    /// </summary>
    [Parameter(ParameterSetName = ByObject, Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Container[] InputObject { get; set; } = [];

    private protected ContainerRuntime Runtime { get; } = new();

    /// <summary>The container names this invocation selects; a name that matches nothing is a per-item error.</summary>
    protected IEnumerable<string> SelectedNames()
    {
        if (ParameterSetName == ByObject)
        {
            foreach (var container in InputObject)
            {
                yield return container.Name;
            }
            yield break;
        }
        foreach (var name in Name)
        {
            if (!WildcardPattern.ContainsWildcardCharacters(name))
            {
                yield return name;
                continue;
            }
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            foreach (var existing in Runtime.Store.Names().Where(pattern.IsMatch))
            {
                yield return existing;
            }
        }
    }
}
