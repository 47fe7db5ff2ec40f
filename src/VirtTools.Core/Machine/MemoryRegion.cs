namespace VirtTools.Machine;

/// <summary>
/// One contiguous piece of guest RAM: <see cref="Size"/> bytes at guest physical
/// <see cref="GuestAddress"/>, backed by host memory at <see cref="HostAddress"/>. The same host pages
/// are seen by the accelerator (a KVM memory slot) and by the VMM (loaders, devices, the emulator).
/// </summary>
public sealed class MemoryRegion
{
    internal MemoryRegion(int slot, ulong guestAddress, ulong size, nint hostAddress)
    {
        Slot = slot;
        GuestAddress = guestAddress;
        Size = size;
        HostAddress = hostAddress;
    }

    /// <summary>Index of the region in its <see cref="GuestMemory"/>, used as the KVM slot number.</summary>
    public int Slot { get; }

    public ulong GuestAddress { get; }

    public ulong Size { get; }

    public nint HostAddress { get; }

    public ulong End => GuestAddress + Size;

    public bool Contains(ulong address, ulong length) => address >= GuestAddress && address + length <= End && address + length >= address;
}
