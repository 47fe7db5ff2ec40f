namespace VirtTools.Accelerators;

/// <summary>
/// The CPU side of a user-space interrupt controller (the 8259 pair): what the INTR pin and the
/// interrupt-acknowledge cycle are on real hardware.
/// </summary>
public interface IInterruptAcknowledge
{
    /// <summary>The INTR line: an unmasked interrupt is waiting for the CPU.</summary>
    bool HasPending { get; }

    /// <summary>The INTA cycle: takes the highest-priority pending interrupt and returns its vector.</summary>
    byte Acknowledge();
}
