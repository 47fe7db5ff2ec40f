using VirtTools.Accelerators.Kvm;
using VirtTools.Diagnostics;
using VirtTools.Host;

namespace VirtTools.Accelerators;

/// <summary>
/// Opens the accelerator a machine asked for. <see cref="AcceleratorKind.Auto"/> probes KVM, then WHP,
/// then the emulator, and takes the first that opens; an explicit kind that is unavailable is an error
/// naming why.
/// </summary>
public static class AcceleratorFactory
{
    public static IAccelerator Open(AcceleratorKind kind) => kind switch
    {
        AcceleratorKind.Kvm => KvmAccelerator.Open(),
        AcceleratorKind.Whp => throw Unavailable(kind, "the Windows Hypervisor Platform exists only on Windows"),
        AcceleratorKind.Emulator => OpenEmulator(),
        _ => OpenAuto(),
    };

    /// <summary>The kinds <see cref="AcceleratorKind.Auto"/> tries, in order.</summary>
    public static IReadOnlyList<AcceleratorKind> AutoOrder { get; } = [AcceleratorKind.Kvm, AcceleratorKind.Whp, AcceleratorKind.Emulator];

    private static IAccelerator OpenAuto()
    {
        var reasons = new List<string>();
        foreach (var kind in AutoOrder)
        {
            try
            {
                return Open(kind);
            }
            catch (VirtToolsException e)
            {
                reasons.Add($"{kind}: {e.Message}");
            }
        }
        throw new VirtToolsException("NoAcceleratorAvailable", VirtErrorKind.NotSupported,
            $"no accelerator is available ({string.Join("; ", reasons)})", AcceleratorKind.Auto);
    }

    // The software CPU is written on its own branch; it plugs in here by returning its IAccelerator.
    private static IAccelerator OpenEmulator() =>
        throw Unavailable(AcceleratorKind.Emulator, "the software emulator is not available in this build yet");

    private static VirtToolsException Unavailable(AcceleratorKind kind, string why) =>
        new("AcceleratorNotAvailable", VirtErrorKind.NotSupported, $"accelerator {kind} is not available: {why}", kind);
}
