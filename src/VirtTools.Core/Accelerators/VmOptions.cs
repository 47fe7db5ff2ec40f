namespace VirtTools.Accelerators;

/// <summary>What a new VM needs from its accelerator.</summary>
/// <param name="ProcessorCount">Number of vCPUs the VM will get.</param>
/// <param name="InKernelDevices">
/// Use the accelerator's own interrupt controller and timer (KVM's in-kernel 8259/IOAPIC/LAPIC and
/// PIT) when it has them. False keeps them in user space (the machine's Pic8259 and Pit8254).
/// </param>
public sealed record VmOptions(int ProcessorCount = 1, bool InKernelDevices = true);
