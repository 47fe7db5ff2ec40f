namespace VirtTools.Machine;

/// <summary>
/// One ISA interrupt line as a device sees it. The machine wires it to whichever controller is in use:
/// the accelerator's in-kernel one or the user-space <c>Pic8259</c>.
/// </summary>
public interface IInterruptLine
{
    /// <summary>Sets the line level: true raises it (an edge for edge-triggered inputs), false lowers it.</summary>
    void Set(bool level);
}
