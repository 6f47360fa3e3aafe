using System.Text;
using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;

namespace MicroKernel.Memory;

/// <summary>
/// The kernel's view of one 4-level x86-64 page table: it creates, edits and frees the table frames in physical
/// memory that the <see cref="Mmu"/> walks. Intermediate tables are kernel frames, created on demand and kept
/// until the address space dies (as many kernels do: cheap, and no TLB subtleties about freed tables).
/// </summary>
public sealed class PageTable
{
    // Intermediate entries allow everything; the leaf decides (R/W, U/S and NX are ANDed/ORed over levels).
    private const ulong TableFlags = Pte.Present | Pte.Writable | Pte.User;
    private readonly PhysicalMemory _memory;
    private readonly FrameAllocator _frames;
    private readonly List<ulong> _tableFrames = [];

    private PageTable(PhysicalMemory memory, FrameAllocator frames, ulong rootFrame)
    {
        _memory = memory;
        _frames = frames;
        RootFrame = rootFrame;
        _tableFrames.Add(rootFrame);
    }

    /// <summary>The PML4's frame; its physical address is what CR3 holds.</summary>
    public ulong RootFrame { get; }

    /// <summary>Physical address of the PML4.</summary>
    public ulong RootAddress => RootFrame << PhysicalMemory.FrameShift;

    /// <summary>Frames used by the tables themselves (kernel frames).</summary>
    public int TableFrameCount => _tableFrames.Count;

    /// <summary>
    /// Called with (slot, entry) whenever a new PML4 entry appears: RPC grant tables that share this table's lower
    /// levels copy it, so memory the callee maps during a call is visible through the grant too.
    /// </summary>
    internal Action<int, ulong>? RootEntryAdded { get; set; }

    /// <summary>The PML4 entry in <paramref name="slot"/> (0..511).</summary>
    internal ulong RootEntry(int slot) => _memory.ReadUInt64(RootAddress + ((ulong)slot << 3));

    /// <summary>Writes the PML4 entry in <paramref name="slot"/> directly (grant tables pointing into another table).</summary>
    internal void SetRootEntry(int slot, ulong entry) => _memory.WriteUInt64(RootAddress + ((ulong)slot << 3), entry);

    /// <summary>Creates an empty table, or returns null when no frame is free for the PML4.</summary>
    public static PageTable? TryCreate(PhysicalMemory memory, FrameAllocator frames) =>
        frames.TryAllocate(FrameUse.Kernel, out ulong root) ? new PageTable(memory, frames, root) : null;

    /// <summary>The leaf entry for <paramref name="virtualAddress"/>, or 0 when no table reaches it.</summary>
    public ulong Query(ulong virtualAddress)
    {
        ulong address = LeafAddress(virtualAddress, create: false, out _);
        return address == 0 ? 0 : _memory.ReadUInt64(address);
    }

    /// <summary>
    /// Writes the leaf entry for <paramref name="virtualAddress"/>, creating missing tables.
    /// Returns false (and changes no leaf) when a table frame cannot be allocated.
    /// </summary>
    public bool SetLeaf(ulong virtualAddress, ulong entry)
    {
        ulong address = LeafAddress(virtualAddress, create: true, out bool outOfMemory);
        if (outOfMemory) return false;
        _memory.WriteUInt64(address, entry);
        return true;
    }

    /// <summary>Clears the leaf entry and returns what it held (0 when nothing was mapped).</summary>
    public ulong ClearLeaf(ulong virtualAddress)
    {
        ulong address = LeafAddress(virtualAddress, create: false, out _);
        if (address == 0) return 0;
        ulong old = _memory.ReadUInt64(address);
        if (old != 0) _memory.WriteUInt64(address, 0);
        return old;
    }

    /// <summary>
    /// Clears <paramref name="oldEntries"/>.Length consecutive leaves from <paramref name="virtualAddress"/> and returns
    /// what they held. One walk per page-table page, not per page: moving 4096 pages costs 8 walks.
    /// </summary>
    public void ClearLeaves(ulong virtualAddress, Span<ulong> oldEntries)
    {
        ulong entry = 0;
        for (int i = 0; i < oldEntries.Length; i++)
        {
            ulong va = virtualAddress + ((ulong)i << PhysicalMemory.FrameShift);
            if (i == 0 || (va & LeafTableSpan) == 0) entry = LeafAddress(va, create: false, out _);
            else if (entry != 0) entry += 8;
            ulong old = entry == 0 ? 0 : _memory.ReadUInt64(entry);
            if (old != 0) _memory.WriteUInt64(entry, 0);
            oldEntries[i] = old;
        }
    }

    /// <summary>
    /// Writes consecutive leaves from <paramref name="virtualAddress"/>, creating tables as needed (one walk per
    /// page-table page). Returns how many were written: fewer than asked when a table frame could not be had.
    /// </summary>
    public int SetLeaves(ulong virtualAddress, ReadOnlySpan<ulong> entries)
    {
        ulong entry = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            ulong va = virtualAddress + ((ulong)i << PhysicalMemory.FrameShift);
            if (i == 0 || (va & LeafTableSpan) == 0)
            {
                entry = LeafAddress(va, create: true, out bool outOfMemory);
                if (outOfMemory) return i;
            }
            else
            {
                entry += 8;
            }
            _memory.WriteUInt64(entry, entries[i]);
        }
        return entries.Length;
    }

    // The bytes one page table (512 leaves) covers, minus one: a va with these bits clear starts a new table.
    private const ulong LeafTableSpan = (512UL << PhysicalMemory.FrameShift) - 1;

    /// <summary>Every non-zero leaf entry, in ascending virtual-address order.</summary>
    public IEnumerable<(ulong VirtualAddress, ulong Entry)> Leaves()
    {
        var found = new List<(ulong, ulong)>();
        CollectLeaves(RootAddress, 3, 0, found);
        return found;
    }

    /// <summary>
    /// Frees every table frame. Leaf frames are not touched: the address space releases them first.
    /// </summary>
    public void FreeTables()
    {
        foreach (ulong f in _tableFrames) _frames.Release(f);
        _tableFrames.Clear();
    }

    /// <summary>
    /// The table tree as text: every present entry at every level with its index, raw value and flags, so a
    /// student can follow the walk the MMU does.
    /// </summary>
    public string Dump()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"CR3 = 0x{RootAddress:x} (PML4 in frame {RootFrame})");
        DumpLevel(sb, RootAddress, 3, 0);
        return sb.ToString();
    }

    private static readonly string[] LevelNames = ["PT", "PD", "PDPT", "PML4"];

    private void DumpLevel(StringBuilder sb, ulong table, int level, ulong vaBase)
    {
        for (ulong i = 0; i < 512; i++)
        {
            ulong entry = _memory.ReadUInt64(table + i * 8);
            if (entry == 0) continue;
            ulong va = Canonical(vaBase | (i << (PhysicalMemory.FrameShift + 9 * level)));
            string indent = new(' ', (3 - level) * 2);
            string target = level == 0 ? $"frame {Pte.FrameOf(entry)}" : $"-> {LevelNames[level - 1]} in frame {Pte.FrameOf(entry)}";
            sb.AppendLine(CultureInfo.InvariantCulture, $"{indent}{LevelNames[level]}[{i,3}] 0x{entry:x16} {Pte.Describe(entry),-18} va 0x{va:x12} {target}");
            if (level > 0 && (entry & Pte.Present) != 0) DumpLevel(sb, entry & Pte.AddressMask, level - 1, va);
        }
    }

    private void CollectLeaves(ulong table, int level, ulong vaBase, List<(ulong, ulong)> found)
    {
        for (ulong i = 0; i < 512; i++)
        {
            ulong entry = _memory.ReadUInt64(table + i * 8);
            if (entry == 0) continue;
            ulong va = Canonical(vaBase | (i << (PhysicalMemory.FrameShift + 9 * level)));
            if (level == 0) found.Add((va, entry));
            else if ((entry & Pte.Present) != 0) CollectLeaves(entry & Pte.AddressMask, level - 1, va, found);
        }
    }

    // Sign-extends bit 47, as the hardware requires of a virtual address.
    private static ulong Canonical(ulong va) => (ulong)(((long)va << 16) >> 16);

    private ulong LeafAddress(ulong va, bool create, out bool outOfMemory)
    {
        outOfMemory = false;
        ulong table = RootAddress;
        for (int level = 3; level > 0; level--)
        {
            ulong entryAddress = table + (((va >> (PhysicalMemory.FrameShift + 9 * level)) & 511) << 3);
            ulong entry = _memory.ReadUInt64(entryAddress);
            if ((entry & Pte.Present) == 0)
            {
                if (!create) return 0;
                if (!_frames.TryAllocate(FrameUse.Kernel, out ulong frame)) { outOfMemory = true; return 0; }
                _tableFrames.Add(frame);
                entry = Pte.Make(frame, TableFlags);
                _memory.WriteUInt64(entryAddress, entry);
                if (level == 3) RootEntryAdded?.Invoke((int)((va >> 39) & 511), entry);
            }
            table = entry & Pte.AddressMask;
        }
        return table + (((va >> PhysicalMemory.FrameShift) & 511) << 3);
    }
}
