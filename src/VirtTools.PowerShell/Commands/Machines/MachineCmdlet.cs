using System.Management.Automation;
using VirtTools.Machine;
using VirtTools.Machine.Remote;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// Shared -Name selection for the cmdlets that act on existing machines. -Name takes wildcards and
/// binds from the pipeline by property name, so objects from Get-VirtMachine and New-VirtMachine pipe
/// straight in. A plain name that matches nothing is a MachineNotFound error. (There is no
/// -InputObject typed as a Core class: parameter types are loaded while PowerShell scans the cmdlets,
/// before the module's AssemblyLoadContext can resolve VirtTools.Core on a re-import.)
/// </summary>
public abstract class MachineCmdlet : VirtCmdlet
{
    /// <summary>
    /// <para>Names of the machines (wildcards allowed); objects from Get-VirtMachine bind by their Name.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>
    /// The machines selected by -Name: this session's in-process ones, then those running in their
    /// own VMM process anywhere on the host (a name hosted here hides a VMM one). Both kinds implement
    /// the same interfaces, so no cmdlet asks which kind it has, except Remove for the session's registry.
    /// </summary>
    protected IEnumerable<IMachineControl> SelectControls() => Select<IMachineControl>();

    /// <summary>
    /// The machines selected by -Name, as the interface a cmdlet needs (IMachineConsole,
    /// IMachineDebugger). T is unconstrained on purpose: a constraint naming a VirtTools.Core type
    /// is resolved when PowerShell loads the cmdlet types, before the module's load context can
    /// resolve VirtTools.Core (the same reason no parameter has a Core type).
    /// </summary>
    protected IEnumerable<T> Select<T>()
    {
        var local = MachineSession.Registry.All;
        var all = local.Select(m => new InProcessMachine(m)).Cast<IMachineControl>()
            .Concat(RemoteMachineDirectory.List().Where(r => !local.Any(m => string.Equals(m.Name, r.Name, StringComparison.OrdinalIgnoreCase))))
            .ToList();
        foreach (var name in Name)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = all.Where(m => pattern.IsMatch(m.Name)).Cast<T>().ToList();
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
