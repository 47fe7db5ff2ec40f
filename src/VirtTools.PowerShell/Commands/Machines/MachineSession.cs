using VirtTools.Machine;

namespace VirtTools.PowerShell.Commands.Machines;

/// <summary>
/// The machines this pwsh process hosts (the in-process mode): one registry for the module's
/// lifetime, disposed when the module is removed.
/// </summary>
internal static class MachineSession
{
    public static MachineRegistry Registry { get; private set; } = new();

    public static void Reset()
    {
        var old = Registry;
        Registry = new MachineRegistry();
        old.Dispose();
    }
}
