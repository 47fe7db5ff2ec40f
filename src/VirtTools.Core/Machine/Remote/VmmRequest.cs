namespace VirtTools.Machine.Remote;

/// <summary>
/// One line a client sends to a VMM socket. Op is one of status, start, pause, resume, stop (Force),
/// output (from byte Offset), input (Data, base64), registers, remove (Force).
/// </summary>
public sealed record VmmRequest(string Op, bool Force = false, long Offset = 0, string? Data = null);
