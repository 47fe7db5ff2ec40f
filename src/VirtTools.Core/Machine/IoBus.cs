using VirtTools.Diagnostics;

namespace VirtTools.Machine;

/// <summary>
/// A port or MMIO bus: owns the addresses, hands devices offsets (after Firecracker's vstate/bus.rs).
/// Ranges are registered while the machine is being built; overlapping ranges are refused with
/// <c>BusRangeOverlap</c>. Lookups read an immutable sorted snapshot, so the vCPU thread never takes a
/// lock here; the bus itself holds no lock while a device runs (devices lock themselves).
/// Accesses that hit no device are counted and ignored (reads return all ones, as on an ISA bus).
/// </summary>
public sealed class IoBus
{
    private readonly object writeLock = new();
    private BusRange[] ranges = [];
    private long unhandledReads, unhandledWrites;

    public IoBus(BusKind kind) => Kind = kind;

    public BusKind Kind { get; }

    public IReadOnlyList<BusRange> Ranges => ranges;

    /// <summary>Reads that hit no device.</summary>
    public long UnhandledReads => Interlocked.Read(ref unhandledReads);

    /// <summary>Writes that hit no device.</summary>
    public long UnhandledWrites => Interlocked.Read(ref unhandledWrites);

    /// <summary>Gives <paramref name="device"/> the range [<paramref name="start"/>, +<paramref name="length"/>).</summary>
    public void Insert(IBusDevice device, ulong start, ulong length)
    {
        if (length == 0 || start + length < start)
        {
            throw new VirtToolsException("BusRangeInvalid", VirtErrorKind.InvalidArgument,
                $"{Kind} range 0x{start:x}+0x{length:x} for {device.Name} is empty or wraps", device.Name);
        }
        lock (writeLock)
        {
            // A plain loop and copy, not LINQ's OrderBy: every machine build inserts a dozen ranges,
            // and the native VMM paid for OrderBy's first use in each fresh process.
            var at = 0;
            foreach (var range in ranges)
            {
                if (range.Overlaps(start, length))
                {
                    throw new VirtToolsException("BusRangeOverlap", VirtErrorKind.InvalidArgument,
                        $"{Kind} range [0x{start:x}, 0x{start + length:x}) for {device.Name} overlaps {range}", device.Name);
                }
                if (range.Base < start)
                {
                    at++;
                }
            }
            var next = new BusRange[ranges.Length + 1];
            Array.Copy(ranges, next, at);
            next[at] = new BusRange(start, length, device);
            Array.Copy(ranges, at, next, at + 1, ranges.Length - at);
            ranges = next;
        }
    }

    /// <summary>The device and offset for <paramref name="address"/>, or false when nothing is there.</summary>
    public bool TryResolve(ulong address, out IBusDevice device, out ulong offset)
    {
        var snapshot = ranges;
        int lo = 0, hi = snapshot.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            var range = snapshot[mid];
            if (address < range.Base)
            {
                hi = mid - 1;
            }
            else if (address >= range.End)
            {
                lo = mid + 1;
            }
            else
            {
                device = range.Device;
                offset = address - range.Base;
                return true;
            }
        }
        device = null!;
        offset = 0;
        return false;
    }

    public void Read(ulong address, Span<byte> data)
    {
        if (TryResolve(address, out var device, out var offset))
        {
            device.Read(offset, data);
            return;
        }
        data.Fill(0xff);
        Interlocked.Increment(ref unhandledReads);
    }

    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        if (TryResolve(address, out var device, out var offset))
        {
            device.Write(offset, data);
            return;
        }
        Interlocked.Increment(ref unhandledWrites);
    }
}
