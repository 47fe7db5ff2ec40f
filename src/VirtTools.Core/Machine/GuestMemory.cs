using System.Buffers.Binary;
using Tmds.Linux;
using VirtTools.Diagnostics;

namespace VirtTools.Machine;

/// <summary>
/// Guest physical RAM: regions of anonymous host memory mapped once (mmap) and shared with the
/// accelerator. Everything the VMM reads or writes in the guest goes through <see cref="Span"/>, so
/// an access that crosses a region edge or falls in a hole is an error rather than a wild pointer.
/// </summary>
public sealed unsafe class GuestMemory : IDisposable
{
    private readonly List<MemoryRegion> regions = [];
    private bool disposed;

    public IReadOnlyList<MemoryRegion> Regions => regions;

    /// <summary>Total bytes of RAM over all regions.</summary>
    public ulong Size => regions.Aggregate(0UL, (sum, r) => sum + r.Size);

    /// <summary>Guest memory with RAM laid out by <see cref="MachineLayout.RamRegions"/> for <paramref name="bytes"/> of RAM.</summary>
    public static GuestMemory Create(ulong bytes)
    {
        var memory = new GuestMemory();
        try
        {
            foreach (var (start, size) in MachineLayout.RamRegions(bytes))
            {
                memory.AddRegion(start, size);
            }
            return memory;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Maps <paramref name="size"/> bytes of zeroed host memory as guest RAM at <paramref name="guestAddress"/>.</summary>
    public MemoryRegion AddRegion(ulong guestAddress, ulong size)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (size == 0 || size % MachineLayout.PageSize != 0 || guestAddress % MachineLayout.PageSize != 0)
        {
            throw new VirtToolsException("MemoryRegionInvalid", VirtErrorKind.InvalidArgument,
                $"memory region at 0x{guestAddress:x} of 0x{size:x} bytes is not page aligned", guestAddress);
        }
        if (regions.Any(r => guestAddress < r.End && r.GuestAddress < guestAddress + size))
        {
            throw new VirtToolsException("MemoryRegionOverlap", VirtErrorKind.InvalidArgument,
                $"memory region at 0x{guestAddress:x} of 0x{size:x} bytes overlaps another region", guestAddress);
        }
        // MAP_NORESERVE: a 4 GiB guest that touches 20 MiB costs 20 MiB.
        var host = LibC.mmap(null, (size_t)size, LibC.PROT_READ | LibC.PROT_WRITE,
            LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        if (host == (void*)-1)
        {
            throw Errno.Failure($"mmap guest RAM of {size} bytes", Errno.Last, "GuestMemoryMapFailed", guestAddress);
        }
        var region = new MemoryRegion(regions.Count, guestAddress, size, (nint)host);
        regions.Add(region);
        return region;
    }

    /// <summary>The region holding [<paramref name="address"/>, +<paramref name="length"/>), or null.</summary>
    public MemoryRegion? Find(ulong address, ulong length = 1)
    {
        foreach (var region in regions)
        {
            if (region.Contains(address, length))
            {
                return region;
            }
        }
        return null;
    }

    /// <summary>The host bytes behind guest [<paramref name="address"/>, +<paramref name="length"/>); throws when not RAM.</summary>
    public Span<byte> Span(ulong address, int length)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var region = Find(address, (ulong)length) ?? throw new VirtToolsException("GuestAddressInvalid", VirtErrorKind.InvalidArgument,
            $"guest range 0x{address:x}+0x{length:x} is not inside guest RAM", address);
        return new Span<byte>((byte*)region.HostAddress + (address - region.GuestAddress), length);
    }

    public void Write(ulong address, ReadOnlySpan<byte> data) => data.CopyTo(Span(address, data.Length));

    public void Read(ulong address, Span<byte> data) => Span(address, data.Length).CopyTo(data);

    public byte ReadByte(ulong address) => Span(address, 1)[0];

    public void WriteByte(ulong address, byte value) => Span(address, 1)[0] = value;

    public ushort ReadUInt16(ulong address) => BinaryPrimitives.ReadUInt16LittleEndian(Span(address, 2));

    public void WriteUInt16(ulong address, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Span(address, 2), value);

    public uint ReadUInt32(ulong address) => BinaryPrimitives.ReadUInt32LittleEndian(Span(address, 4));

    public void WriteUInt32(ulong address, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Span(address, 4), value);

    public ulong ReadUInt64(ulong address) => BinaryPrimitives.ReadUInt64LittleEndian(Span(address, 8));

    public void WriteUInt64(ulong address, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Span(address, 8), value);

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        foreach (var region in regions)
        {
            LibC.munmap((void*)region.HostAddress, (size_t)region.Size);
        }
        regions.Clear();
    }
}
