using VirtTools.Accelerators.Emulator;
using VirtTools.Diagnostics;

namespace VirtTools.Machine.Remote;

/// <summary>
/// The one line a VMM answers with. A failure carries the core's error id and kind, so the client
/// rethrows the same <see cref="VirtToolsException"/> an in-process machine would have thrown.
/// </summary>
public sealed record VmmReply
{
    public bool Ok { get; init; }

    public string? ErrorId { get; init; }

    public VirtErrorKind ErrorKind { get; init; }

    public string? Message { get; init; }

    /// <summary>The failure's target as the core named it; the client's own target when absent.</summary>
    public string? ErrorTarget { get; init; }

    public VirtMachineInfo? Info { get; init; }

    /// <summary>Console output (base64) from the requested offset, and the offset just past it.</summary>
    public string? Output { get; init; }

    public long OutputEnd { get; init; }

    /// <summary>The machine's state when the output was read (set on output replies).</summary>
    public MachineState? State { get; init; }

    public MachineRegisters? Registers { get; init; }

    public StepResult? Step { get; init; }

    public IReadOnlyList<DisassemblyLine>? Disassembly { get; init; }

    /// <summary>The breakpoint set (break) or, on breakpoints, all of them.</summary>
    public IReadOnlyList<MachineBreakpoint>? Breakpoints { get; init; }

    /// <summary>On unbreak: whether the machine had that breakpoint.</summary>
    public bool Removed { get; init; }

    public static VmmReply Failure(Exception e) => e is VirtToolsException v
        ? new VmmReply { ErrorId = v.ErrorId, ErrorKind = v.Kind, Message = v.Message, ErrorTarget = v.Target?.ToString() }
        : new VmmReply { ErrorId = "VmmRequestFailed", ErrorKind = VirtErrorKind.DeviceError, Message = e.Message };

    public VmmReply EnsureOk(string target) => Ok ? this
        : throw new VirtToolsException(ErrorId ?? "VmmRequestFailed", ErrorKind, Message ?? "the VMM process refused the request", ErrorTarget ?? target);
}
