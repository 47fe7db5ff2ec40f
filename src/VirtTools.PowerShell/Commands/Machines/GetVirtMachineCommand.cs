using System.Management.Automation;
using VirtTools.Machine;
using VirtTools.Machine.Remote;
using VirtTools.PowerShell.Infrastructure;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// <para type="synopsis">Lists machines with their state, accelerator, uptime and exit statistics.</para>
/// </summary>
/// <remarks>
/// <para>Get-VirtMachine returns a snapshot per machine: state (Created, Running, Paused, Stopped, Crashed), accelerator, whether the interrupt controller and PIT are in-kernel, memory, uptime, the debug-port exit code and the reason it ended, exits by reason, unhandled port and MMIO accesses, retired instructions where the accelerator counts them (the emulator; KVM does not), and TimeToFirstExit: from the start of the build to the guest's first exit, less the time the built machine waited for Start-VirtMachine.</para>
/// </remarks>
/// <example>
/// <code>Get-VirtMachine</code>
/// <para>Lists every machine in the session.</para>
/// </example>
/// <example>
/// <code>(Get-VirtMachine -Name demo).Exits</code>
/// <para>Shows how many exits of each kind the machine has taken.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "VirtMachine")]
[OutputType(typeof(VirtMachineInfo))]
public sealed class GetVirtMachineCommand : VirtCmdlet
{
    /// <summary>
    /// <para>Names of the machines to show (wildcards allowed); all when omitted.</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var local = MachineSession.Registry.All;
        var machines = local.Select(VirtMachineInfo.From)
            .Concat(RemoteMachineDirectory.List()
                .Where(r => !local.Any(m => string.Equals(m.Name, r.Name, StringComparison.OrdinalIgnoreCase)))
                .Select(r => r.Info()))
            .ToList();
        if (Name is null)
        {
            WriteObject(machines, enumerateCollection: true);
            return;
        }
        foreach (var name in Name)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = machines.Where(m => pattern.IsMatch(m.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(ErrorRecords.Create("MachineNotFound", Diagnostics.VirtErrorKind.NotFound, $"no machine named '{name}'", name));
            }
            WriteObject(matches, enumerateCollection: true);
        }
    }
}
