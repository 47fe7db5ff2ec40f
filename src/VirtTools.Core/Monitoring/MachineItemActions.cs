using VirtTools.Machine;

namespace VirtTools.Monitoring;

/// <summary>
/// The dashboard's actions on a machine, the same wherever it runs (this process or its own VMM
/// process): which apply in a state, and how each reaches the machine.
/// </summary>
internal static class MachineItemActions
{
    public static ItemActions Available(MachineState state) => state switch
    {
        MachineState.Running => ItemActions.Stop | ItemActions.Kill | ItemActions.Pause | ItemActions.Remove,
        MachineState.Paused => ItemActions.Stop | ItemActions.Kill | ItemActions.Resume | ItemActions.Remove,
        _ => ItemActions.Remove,
    };

    /// <summary>Runs <paramref name="action"/>; <paramref name="remove"/> removes, since only the owner of the machine's registry can.</summary>
    public static void Perform(IMachineControl machine, ItemActions action, Action remove)
    {
        switch (action)
        {
            case ItemActions.Stop:
                machine.Stop(force: false);
                break;
            case ItemActions.Kill:
                machine.Stop(force: true);
                break;
            case ItemActions.Pause:
                machine.Pause();
                break;
            case ItemActions.Resume:
                machine.Resume();
                break;
            case ItemActions.Remove:
                remove();
                break;
            default:
                throw CgroupSource.Unsupported(machine.Name, action);
        }
    }
}
