using System.Text;

namespace VirtTools.Machine;

/// <summary>
/// What the guest wrote to COM1: kept (up to <see cref="Capacity"/> bytes, the oldest dropped) for
/// Invoke-VirtMachine, and read by offset (a running byte count) by whoever is attached
/// (Enter-VirtMachine, in this process or over a VMM socket).
/// </summary>
public sealed class MachineOutput
{
    public const int Capacity = 1 << 20;

    private readonly object gate = new();
    private readonly Queue<byte> kept = new();
    private long total;
    private int waiters;

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
            Interlocked.Increment(ref total);
            if (waiters > 0)
            {
                Monitor.PulseAll(gate);
            }
        }
        Received?.Invoke(value);
    }

    public byte[] ToArray()
    {
        lock (gate)
        {
            return [.. kept];
        }
    }

    /// <summary>
    /// The kept output from byte <paramref name="offset"/> on (clipped to what is still kept) and the
    /// offset just past it, for a reader that comes back later for the rest.
    /// </summary>
    public (byte[] Data, long Next) ReadFrom(long offset)
    {
        lock (gate)
        {
            var end = total;
            var first = end - kept.Count;
            var from = Math.Clamp(offset, first, end);
            // Queue.ToArray is two block copies; enumerating past the skipped part would be slower.
            return (from == end ? [] : kept.ToArray()[(int)(from - first)..], end);
        }
    }

    /// <summary>
    /// Blocks until more than <paramref name="offset"/> bytes were written or <paramref name="timeout"/>
    /// passed; true when there is output past the offset. Lets a console reader wait instead of polling.
    /// </summary>
    public bool WaitPast(long offset, TimeSpan timeout)
    {
        lock (gate)
        {
            if (total > offset)
            {
                return true;
            }
            waiters++;
            try
            {
                Monitor.Wait(gate, timeout);
            }
            finally
            {
                waiters--;
            }
            return total > offset;
        }
    }

    /// <summary>The kept output as text (Latin-1: every byte maps to one character, nothing is lost).</summary>
    public override string ToString() => Encoding.Latin1.GetString(ToArray());
}
