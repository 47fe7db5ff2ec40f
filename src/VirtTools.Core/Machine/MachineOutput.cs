using System.Text;

namespace VirtTools.Machine;

/// <summary>
/// What the guest wrote to COM1: kept (up to <see cref="Capacity"/> bytes, the oldest dropped) for
/// Invoke-VirtMachine, and forwarded live to whoever is attached (Enter-VirtMachine).
/// </summary>
public sealed class MachineOutput
{
    public const int Capacity = 1 << 20;

    private readonly object gate = new();
    private readonly Queue<byte> kept = new();
    private long total;

    /// <summary>Raised on the vCPU thread for every byte; handlers must not block.</summary>
    public event Action<byte>? Received;

    public long TotalBytes => Interlocked.Read(ref total);

    public void Append(byte value)
    {
        lock (gate)
        {
            if (kept.Count == Capacity)
            {
                kept.Dequeue();
            }
            kept.Enqueue(value);
        }
        Interlocked.Increment(ref total);
        Received?.Invoke(value);
    }

    public byte[] ToArray()
    {
        lock (gate)
        {
            return [.. kept];
        }
    }

    /// <summary>The kept output as text (Latin-1: every byte maps to one character, nothing is lost).</summary>
    public override string ToString() => Encoding.Latin1.GetString(ToArray());
}
