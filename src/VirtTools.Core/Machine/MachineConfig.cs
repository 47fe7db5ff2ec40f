using VirtTools.Host;
using VirtTools.Machine.Loaders;

namespace VirtTools.Machine;

/// <summary>Everything needed to build a machine.</summary>
public sealed record MachineConfig
{
    public required string Name { get; init; }

    public ulong MemoryBytes { get; init; } = 64UL << 20;

    public int ProcessorCount { get; init; } = 1;

    public AcceleratorKind Accelerator { get; init; } = AcceleratorKind.Auto;

    /// <summary>Use the accelerator's interrupt controller and PIT when it has them (false: the user-space models).</summary>
    public bool InKernelDevices { get; init; } = true;

    public required LoadRequest Boot { get; init; }
}
