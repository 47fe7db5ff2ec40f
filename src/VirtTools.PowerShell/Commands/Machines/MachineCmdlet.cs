using System.Management.Automation;
using VirtTools.Machine;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// Shared -Name / -InputObject selection for the cmdlets that act on existing machines. -Name takes
/// wildcards; a plain name that matches nothing is a MachineNotFound error.
/// </summary>
public abstract class MachineCmdlet : VirtCmdlet
{
    /// <summary>
    /// <para>Names of the machines (wildcards allowed).</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>
    /// <para>Machine objects from Get-VirtMachine or New-VirtMachine.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = "InputObject", ValueFromPipeline = true)]
    public VirtMachineInfo[] InputObject { get; set; } = [];

    /// <summary>The machines selected by -Name or -InputObject; unknown names are reported per item.</summary>
    protected IEnumerable<VirtMachine> SelectMachines()
    {
        var registry = MachineSession.Registry;
        if (ParameterSetName == "InputObject")
        {
            foreach (var info in InputObject)
            {
                VirtMachine? machine = null;
                try
                {
                    machine = registry.Get(info.Name);
                }
                catch (Diagnostics.VirtToolsException e)
                {
                    WriteFailure(e, info.Name);
                }
                if (machine is not null)
                {
                    yield return machine;
                }
            }
            yield break;
        }
        foreach (var name in Name)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = registry.All.Where(m => pattern.IsMatch(m.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(ErrorRecords.Create("MachineNotFound", Diagnostics.VirtErrorKind.NotFound, $"no machine named '{name}'", name));
            }
            foreach (var machine in matches)
            {
                yield return machine;
            }
        }
    }
}
