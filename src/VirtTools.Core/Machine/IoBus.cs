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
            var clash = ranges.FirstOrDefault(r => r.Overlaps(start, length));
            if (clash.Device is not null)
            {
                throw new VirtToolsException("BusRangeOverlap", VirtErrorKind.InvalidArgument,
                    $"{Kind} range [0x{start:x}, 0x{start + length:x}) for {device.Name} overlaps {clash}", device.Name);
            }
            ranges = [.. ranges.Append(new BusRange(start, length, device)).OrderBy(r => r.Base)];
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
