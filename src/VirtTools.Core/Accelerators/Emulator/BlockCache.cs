namespace VirtTools.Accelerators.Emulator;

/// <summary>A run of decoded instructions that ends at a control transfer or a page boundary.</summary>
internal sealed class Block
{
    public required ulong Key;
    public required Insn[] Insns;
    /// <summary>Cleared when guest code writes to a page the block was decoded from.</summary>
    public bool Valid = true;
    /// <summary>The two most recent successors (taken and fall-through), to skip the dictionary.</summary>
    public Block? Next0, Next1;
}

/// <summary>
/// Decoded code keyed by physical address and code size (as Bochs' instruction cache): each
/// instruction is decoded once, and the cache forgets a page's blocks when the guest writes to it,
/// so self-modifying code and reloaded programs run the new bytes.
/// </summary>
internal sealed unsafe class BlockCache
{
    private const int MaxBlockInsns = 64;
    private readonly Dictionary<ulong, Block> blocks = new();
    private readonly Dictionary<ulong, List<Block>> pageBlocks = new();
    /// <summary>Per RAM page, one bit per 64-byte line that holds decoded code.</summary>
    private readonly ulong[] codeLines;
    private Block? last;
    private readonly Insn[] scratch = new Insn[MaxBlockInsns];

    public BlockCache(ulong ramSize)
    {
        codeLines = new ulong[(ramSize + 4095) / 4096];
    }

    public int Count => blocks.Count;

    public void Clear()
    {
        foreach (var b in blocks.Values)
        {
            b.Valid = false;
        }
        blocks.Clear();
        pageBlocks.Clear();
        Array.Clear(codeLines);
        last = null;
    }

    public bool IsCodePage(ulong phys)
    {
        ulong page = phys >> 12;
        return page < (ulong)codeLines.Length && codeLines[page] != 0;
    }

    /// <summary>A guest write to [phys, phys+size) on a page with code: drop the page's blocks if it hits a code line.</summary>
    public void NotifyWrite(ulong phys, int size)
    {
        ulong page = phys >> 12;
        if (page >= (ulong)codeLines.Length)
        {
            return;
        }
        int first = (int)((phys & 0xFFF) >> 6), last = (int)(((phys & 0xFFF) + (ulong)size - 1) >> 6);
        ulong mask = (last >= 63 ? ~0UL : (2UL << last) - 1) & ~((1UL << first) - 1);
        if ((codeLines[page] & mask) != 0)
        {
            InvalidatePage(phys);
        }
    }

    public void InvalidatePage(ulong phys)
    {
        ulong page = phys >> 12;
        codeLines[page] = 0;
        if (pageBlocks.Remove(page, out var list))
        {
            foreach (var b in list)
            {
                b.Valid = false;
                blocks.Remove(b.Key);
            }
        }
    }

    /// <summary>Finds or decodes the block at CS:RIP.</summary>
    public Block Lookup(X86Cpu cpu)
    {
        ulong linear = (cpu.SegBase[X86Decoder.CS] + cpu.Rip) & cpu.LinearMask;
        ulong phys = cpu.TranslateFetch(linear);
        ulong key = (phys << 2) | (uint)(cpu.CodeBits >> 5);
        Block? prev = last;
        if (prev != null)
        {
            if (prev.Next0 is { } n0 && n0.Key == key && n0.Valid)
            {
                return last = n0;
            }
            if (prev.Next1 is { } n1 && n1.Key == key && n1.Valid)
            {
                return last = n1;
            }
        }
        if (!blocks.TryGetValue(key, out Block? block))
        {
            block = Decode(cpu, linear, phys, key);
        }
        if (prev != null && prev.Valid)
        {
            prev.Next1 = prev.Next0;
            prev.Next0 = block;
        }
        return last = block;
    }

    private Block Decode(X86Cpu cpu, ulong linear, ulong phys, ulong key)
    {
        int count = 0;
        Span<byte> buffer = stackalloc byte[32];
        ulong pageEnd = (phys | 0xFFF) + 1;
        ulong secondPage = ulong.MaxValue;
        bool cacheable = cpu.TryGetRam(phys, out _);
        ulong p = phys, lin = linear;
        while (count < MaxBlockInsns)
        {
            int avail = (int)Math.Min(16UL, pageEnd - p);
            Fill(cpu, buffer, p, avail);
            int len = X86Decoder.Decode(buffer[..avail], cpu.CodeBits, out Insn insn);
            if (len == X86Decoder.NeedMoreBytes)
            {
                if (count > 0)
                {
                    break;
                }
                // The instruction straddles two pages: fetch the rest from the next one (may #PF).
                ulong nextLinear = ((lin | 0xFFF) + 1) & cpu.LinearMask;
                secondPage = cpu.TranslateFetch(nextLinear);
                Fill(cpu, buffer[avail..], secondPage, 16);
                len = X86Decoder.Decode(buffer[..(avail + 16)], cpu.CodeBits, out insn);
                scratch[count++] = insn;
                break;
            }
            scratch[count++] = insn;
            p += (ulong)len;
            lin += (ulong)len;
            if ((insn.Flags & InsnFlags.EndsBlock) != 0 || p >= pageEnd)
            {
                break;
            }
        }
        var block = new Block { Key = key, Insns = scratch.AsSpan(0, count).ToArray() };
        if (cacheable)
        {
            blocks[key] = block;
            Register(phys, (int)Math.Min(p - phys, pageEnd - phys), block, cpu);
            if (secondPage != ulong.MaxValue && cpu.TryGetRam(secondPage, out _))
            {
                Register(secondPage & ~0xFFFUL, 16, block, cpu);
            }
        }
        return block;
    }

    private void Register(ulong phys, int length, Block block, X86Cpu cpu)
    {
        ulong page = phys >> 12;
        if (!pageBlocks.TryGetValue(page, out var list))
        {
            pageBlocks[page] = list = new List<Block>();
        }
        list.Add(block);
        bool wasCode = codeLines[page] != 0;
        int first = (int)((phys & 0xFFF) >> 6), last = (int)(((phys & 0xFFF) + (ulong)Math.Max(length, 1) - 1) >> 6);
        for (int line = first; line <= Math.Min(last, 63); line++)
        {
            codeLines[page] |= 1UL << line;
        }
        if (!wasCode)
        {
            // Write mappings of this page were made without the code-line check: refill them.
            cpu.FlushWriteTlb();
        }
    }

    private static void Fill(X86Cpu cpu, Span<byte> buffer, ulong phys, int count)
    {
        for (int i = 0; i < count && i < buffer.Length; i++)
        {
            buffer[i] = cpu.TryGetRam(phys + (ulong)i, out byte* b) ? *b : (byte)cpu.ReadPhys(phys + (ulong)i, 1);
        }
    }
}
