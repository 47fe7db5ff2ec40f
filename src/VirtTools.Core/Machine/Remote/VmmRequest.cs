namespace VirtTools.Machine.Remote;

/// <summary>
/// One line a client sends to a VMM socket. Op is one of: status, start, pause, resume, stop (Force),
/// output (from byte Offset, waiting up to WaitMs for some), input (Data, base64), registers (of vCPU Processor),
/// step (Count instructions), disassemble (Count instructions at Address, default CS:RIP),
/// breakpoints, break (on Address, or Port), unbreak (Address, or Port), remove (Force).
/// </summary>
public sealed record VmmRequest(string Op, bool Force = false, long Offset = 0, string? Data = null)
{
    /// <summary>The longest an output request may block, so a dead client cannot hold a server thread long.</summary>
    public const int MaxWaitMs = 10_000;

    public int WaitMs { get; init; }

    public long Count { get; init; }

    public ulong? Address { get; init; }

    public ushort? Port { get; init; }

    /// <summary>The vCPU a registers request reads.</summary>
    public int Processor { get; init; }
}
