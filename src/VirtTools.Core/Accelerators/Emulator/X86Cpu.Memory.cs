using System.Runtime.CompilerServices;

namespace VirtTools.Accelerators.Emulator;

/// <summary>
/// Linear-to-physical translation (none, 32-bit, PAE and 4-level paging) behind a small
/// direct-mapped TLB per access kind, and the guest RAM / MMIO split. A TLB entry only ever maps
/// a linear page to a RAM page; everything else takes the slow path, which is also where writes
/// to pages holding decoded code invalidate the block cache.
/// </summary>
public sealed unsafe partial class X86Cpu
{
    private const int TlbEntries = 512;

    /// <summary>One TLB entry: (linear page number + 1), so zero means empty, and the RAM page it maps to.</summary>
    private struct TlbEntry
    {
        public ulong Tag;
        /// <summary>Physical page address; in the write TLB bit 0 marks a page holding decoded code.</summary>
        public ulong Phys;
    }

    /// <summary>
    /// A direct-mapped TLB stored inside the CPU object: a lookup is one indexed load from the
    /// CPU, tag and page side by side, with no array reference to load and no bounds check.
    /// </summary>
    [InlineArray(TlbEntries)]
    private struct Tlb
    {
        private TlbEntry first;
    }

    private Tlb tlbRead, tlbWrite, tlbFetch;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref TlbEntry TlbSlot(ref Tlb tlb, ulong linear) =>
        ref Unsafe.Add(ref tlb[0], (nint)((linear >> 12) & (TlbEntries - 1)));

    internal void FlushTlb()
    {
        ((Span<TlbEntry>)tlbRead).Clear();
        ((Span<TlbEntry>)tlbWrite).Clear();
        ((Span<TlbEntry>)tlbFetch).Clear();
    }

    /// <summary>Drops write mappings, so the next write to a page that now holds code is seen.</summary>
    internal void FlushWriteTlb() => ((Span<TlbEntry>)tlbWrite).Clear();

    private void FlushTlbPage(ulong linear)
    {
        TlbSlot(ref tlbRead, linear).Tag = 0;
        TlbSlot(ref tlbWrite, linear).Tag = 0;
        TlbSlot(ref tlbFetch, linear).Tag = 0;
    }

    internal bool PagingEnabled => (Cr0 & 0x80000000) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong ReadMem(ulong linear, int size)
    {
        ref TlbEntry e = ref TlbSlot(ref tlbRead, linear);
        uint off = (uint)linear & 0xFFF;
        if (e.Tag == (linear >> 12) + 1 && off <= 4096u - (uint)size)
        {
            byte* p = ram + e.Phys + off;
            switch (size)
            {
                case 1: return *p;
                case 2: return *(ushort*)p;
                case 4: return *(uint*)p;
                default: return *(ulong*)p;
            }
        }
        return ReadSlow(linear, size);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteMem(ulong linear, int size, ulong value)
    {
        ref TlbEntry e = ref TlbSlot(ref tlbWrite, linear);
        uint off = (uint)linear & 0xFFF;
        if (e.Tag == (linear >> 12) + 1 && off <= 4096u - (uint)size)
        {
            ulong page = e.Phys;
            if ((page & 1) != 0)
            {
                // The page holds decoded code: a write to a code line drops its blocks.
                page &= ~1UL;
                cache.NotifyWrite(page + off, size);
            }
            byte* p = ram + page + off;
            switch (size)
            {
                case 1: *p = (byte)value; return;
                case 2: *(ushort*)p = (ushort)value; return;
                case 4: *(uint*)p = (uint)value; return;
                default: *(ulong*)p = value; return;
            }
        }
        WriteSlow(linear, size, value);
    }

    private ulong ReadSlow(ulong linear, int size)
    {
        CheckAccessAlignment(linear, size);
        if (((linear & 0xFFF) + (ulong)size) > 4096)
        {
            ulong v = 0;
            for (int i = 0; i < size; i++)
            {
                v |= ReadSlow((linear + (ulong)i) & LinearMask, 1) << (8 * i);
            }
            return v;
        }
        ulong phys = Translate(linear, AccessKind.Read);
        WatchData(linear, size, write: false);
        if (phys + (ulong)size <= ramSize)
        {
            if (!DataBreakpointPage(linear) && !AlignmentCheckEnabled)
            {
                ref TlbEntry e = ref TlbSlot(ref tlbRead, linear);
                e.Tag = (linear >> 12) + 1;
                e.Phys = phys & ~0xFFFUL;
            }
            return ReadPhys(phys, size);
        }
        return bus.ReadMmio(phys, size);
    }

    private void WriteSlow(ulong linear, int size, ulong value)
    {
        CheckAccessAlignment(linear, size);
        if (((linear & 0xFFF) + (ulong)size) > 4096)
        {
            // Translate every byte first, so a fault on the second page leaves memory untouched.
            for (int i = 0; i < size; i++)
            {
                Translate((linear + (ulong)i) & LinearMask, AccessKind.Write);
            }
            for (int i = 0; i < size; i++)
            {
                WriteSlow((linear + (ulong)i) & LinearMask, 1, value >> (8 * i));
            }
            return;
        }
        ulong phys = Translate(linear, AccessKind.Write);
        WatchData(linear, size, write: true);
        if (phys + (ulong)size <= ramSize)
        {
            bool code = cache.IsCodePage(phys);
            if (code)
            {
                cache.NotifyWrite(phys, size);
            }
            if (!DataBreakpointPage(linear) && !AlignmentCheckEnabled)
            {
                ref TlbEntry e = ref TlbSlot(ref tlbWrite, linear);
                e.Tag = (linear >> 12) + 1;
                e.Phys = (phys & ~0xFFFUL) | (code ? 1UL : 0);
            }
            WritePhys(phys, size, value);
            return;
        }
        bus.WriteMmio(phys, size, value);
    }

    internal ulong ReadPhys(ulong phys, int size)
    {
        if (phys + (ulong)size > ramSize)
        {
            return bus.ReadMmio(phys, size);
        }
        byte* p = ram + phys;
        return size switch { 1 => *p, 2 => *(ushort*)p, 4 => *(uint*)p, _ => *(ulong*)p };
    }

    internal void WritePhys(ulong phys, int size, ulong value)
    {
        if (phys + (ulong)size > ramSize)
        {
            bus.WriteMmio(phys, size, value);
            return;
        }
        byte* p = ram + phys;
        switch (size)
        {
            case 1: *p = (byte)value; break;
            case 2: *(ushort*)p = (ushort)value; break;
            case 4: *(uint*)p = (uint)value; break;
            default: *(ulong*)p = value; break;
        }
    }

    /// <summary>Reads guest physical memory for the decoder; false where there is no RAM.</summary>
    internal bool TryGetRam(ulong phys, out byte* pointer)
    {
        pointer = phys < ramSize ? ram + phys : null;
        return phys < ramSize;
    }

    /// <summary>Reads a byte at a linear address without side effects or faults (debugger).</summary>
    public bool TryReadLinear(ulong linear, out byte value)
    {
        value = 0;
        ulong saveCr2 = Cr2;
        try
        {
            // A supervisor-level walk; like a hardware walk it may set accessed bits, never dirty ones.
            ulong phys = PagingEnabled ? Translate(linear & LinearMask, AccessKind.Read, false) : linear & LinearMask & A20Mask;
            if (phys >= ramSize)
            {
                return false;
            }
            value = ram[phys];
            return true;
        }
        catch (GuestFault)
        {
            Cr2 = saveCr2;
            return false;
        }
    }

    internal enum AccessKind { Read, Write, Fetch }

    /// <summary>Translates for an instruction fetch and caches the page mapping.</summary>
    internal ulong TranslateFetch(ulong linear)
    {
        ref TlbEntry e = ref TlbSlot(ref tlbFetch, linear);
        if (e.Tag == (linear >> 12) + 1)
        {
            return e.Phys | (linear & 0xFFF);
        }
        ulong phys = Translate(linear, AccessKind.Fetch);
        e.Tag = (linear >> 12) + 1;
        e.Phys = phys & ~0xFFFUL;
        return phys;
    }

    /// <summary>Walks the page tables (setting accessed and dirty bits); raises #PF with CR2 set.</summary>
    internal ulong Translate(ulong linear, AccessKind kind, bool? userOverride = null)
    {
        if (!PagingEnabled)
        {
            return linear & 0xFFFFFFFF & A20Mask;
        }
        bool user = userOverride ?? Cpl == 3;
        bool write = kind == AccessKind.Write;
        bool wp = (Cr0 & 0x10000) != 0;
        bool nxe = (Efer & 0x800) != 0;
        bool pae = (Cr4 & 0x20) != 0;
        bool lma = (Efer & 0x400) != 0;
        uint err = (write ? 2u : 0) | (user ? 4u : 0) | (kind == AccessKind.Fetch && (nxe || pae) ? 16u : 0);
        bool allowWrite = true, allowUser = true, noExec = false;

        if (!pae)
        {
            ulong pdeAddr = (Cr3 & 0xFFFFF000) + ((linear >> 22) & 0x3FF) * 4;
            uint pde = (uint)ReadPhys(pdeAddr & A20Mask, 4);
            if ((pde & 1) == 0) { PageFault(linear, err); }
            allowWrite = (pde & 2) != 0;
            allowUser = (pde & 4) != 0;
            if ((pde & 0x80) != 0 && (Cr4 & 0x10) != 0)
            {
                Check(linear, err, allowWrite, allowUser, false, user, write, wp, kind);
                SetAD(pdeAddr, pde, write, 4);
                ulong big = (pde & 0xFFC00000UL) | ((ulong)(pde & 0x1FE000) << 19);
                return (big | (linear & 0x3FFFFF)) & A20Mask;
            }
            ulong pteAddr = (pde & 0xFFFFF000UL) + ((linear >> 12) & 0x3FF) * 4;
            uint pte = (uint)ReadPhys(pteAddr & A20Mask, 4);
            if ((pte & 1) == 0) { PageFault(linear, err); }
            allowWrite &= (pte & 2) != 0;
            allowUser &= (pte & 4) != 0;
            Check(linear, err, allowWrite, allowUser, false, user, write, wp, kind);
            SetAD(pdeAddr, pde, false, 4);
            SetAD(pteAddr, pte, write, 4);
            return ((pte & 0xFFFFF000UL) | (linear & 0xFFF)) & A20Mask;
        }

        const ulong addrMask = 0x000FFFFFFFFFF000UL;
        ulong table;
        int level;
        if (lma)
        {
            table = Cr3 & addrMask;
            level = 4;
        }
        else
        {
            ulong pdpteAddr = (Cr3 & 0xFFFFFFE0) + ((linear >> 30) & 3) * 8;
            ulong pdpte = ReadPhys(pdpteAddr, 8);
            if ((pdpte & 1) == 0) { PageFault(linear, err); }
            table = pdpte & addrMask;
            level = 2;
        }
        while (true)
        {
            int shift = 12 + 9 * (level - 1);
            ulong entryAddr = table + ((linear >> shift) & 0x1FF) * 8;
            ulong entry = ReadPhys(entryAddr & A20Mask, 8);
            if ((entry & 1) == 0) { PageFault(linear, err); }
            allowWrite &= (entry & 2) != 0;
            allowUser &= (entry & 4) != 0;
            if (nxe && (entry & (1UL << 63)) != 0) { noExec = true; }
            bool leaf = level == 1 || (level <= 3 && (entry & 0x80) != 0 && (level < 3 || lma));
            if (leaf)
            {
                Check(linear, err, allowWrite, allowUser, noExec, user, write, wp, kind);
                SetAD(entryAddr, entry, write, 8);
                ulong pageMask = (1UL << shift) - 1;
                return ((entry & addrMask & ~pageMask) | (linear & pageMask)) & A20Mask;
            }
            SetAD(entryAddr, entry, false, 8);
            table = entry & addrMask;
            level--;
        }
    }

    private void Check(ulong linear, uint err, bool allowWrite, bool allowUser, bool noExec, bool user, bool write, bool wp, AccessKind kind)
    {
        if ((user && !allowUser) || (write && !allowWrite && (user || wp)) || (kind == AccessKind.Fetch && noExec))
        {
            PageFault(linear, err | 1);
        }
    }

    private void SetAD(ulong addr, ulong entry, bool dirty, int size)
    {
        ulong want = entry | 0x20 | (dirty ? 0x40UL : 0);
        if (want != entry)
        {
            WritePhys(addr & A20Mask, size, want);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void PageFault(ulong linear, uint err)
    {
        Cr2 = linear;
        throw new GuestFault(Vectors.PF, err);
    }
}
