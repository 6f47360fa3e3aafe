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
    internal void SetRootEntry(int slot, ulong entry) => WriteEntry(RootAddress + ((ulong)slot << 3), entry);

    /// <summary>Creates an empty table, or returns null when no frame is free for the PML4.</summary>
    public static PageTable? TryCreate(PhysicalMemory memory, FrameAllocator frames) =>
        frames.TryAllocate(FrameUse.Kernel, out ulong root) ? new PageTable(memory, frames, root) : null;

    /// <summary>
    /// The leaf entry for <paramref name="virtualAddress"/>, or 0 when no table reaches it. Inside a 2 MiB or 1 GiB
    /// page it is the 4 KiB entry that page stands for (its flags, the frame of that 4 KiB), so callers see one kind of
    /// leaf; <see cref="LargeEntry"/> tells whether a large page maps the address.
    /// </summary>
    public ulong Query(ulong virtualAddress)
    {
        ulong table = RootAddress;
        for (int level = 3; level > 0; level--)
        {
            ulong entry = _memory.ReadUInt64(table + (((virtualAddress >> Pte.PageShift(level)) & 511) << 3));
            if ((entry & Pte.Present) == 0) return 0;
            if (Pte.IsLeaf(level, entry)) return SmallView(entry, level, virtualAddress);
            table = entry & Pte.AddressMask;
        }
        return _memory.ReadUInt64(table + (((virtualAddress >> PhysicalMemory.FrameShift) & 511) << 3));
    }

    /// <summary>
    /// The PDE (level 1, 2 MiB) or PDPTE (level 2, 1 GiB) with PS that maps <paramref name="virtualAddress"/>, or 0
    /// (and level 0) when a 4 KiB page or nothing maps it.
    /// </summary>
    public ulong LargeEntry(ulong virtualAddress, out int level)
    {
        ulong table = RootAddress;
        for (level = 3; level > 0; level--)
        {
            ulong entry = _memory.ReadUInt64(table + (((virtualAddress >> Pte.PageShift(level)) & 511) << 3));
            if ((entry & Pte.Present) == 0) break;
            if (Pte.IsLeaf(level, entry)) return entry;
            table = entry & Pte.AddressMask;
        }
        level = 0;
        return 0;
    }

    /// <summary>
    /// Maps a 2 MiB page (<paramref name="level"/> 1, a PDE) or 1 GiB page (level 2, a PDPTE) at
    /// <paramref name="virtualAddress"/> (aligned to the page size) with <paramref name="entry"/>, which must have PS
    /// and an aligned frame. The slot must be empty or hold a table with nothing mapped in it. One more frame is
    /// set aside for the page table that splitting this page will need (Linux "deposits" one per huge PMD too), so
    /// that unmapping or protecting part of it never fails for want of memory. False, and nothing mapped, when a
    /// frame is missing or the slot is in use.
    /// </summary>
    public bool SetLarge(ulong virtualAddress, int level, ulong entry)
    {
        if (level is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(level), "large pages live in a PDE (1) or a PDPTE (2)");
        ulong entryAddress = EntryAddress(virtualAddress, level, create: true, out bool outOfMemory);
        if (outOfMemory) return false;
        ulong old = _memory.ReadUInt64(entryAddress);
        if (old != 0 && (Pte.IsLeaf(level, old) || !IsEmptyTable(old & Pte.AddressMask, level - 1))) return false;
        if (!_frames.TryAllocate(FrameUse.Kernel, out ulong deposit)) return false;
        _tableFrames.Add(deposit);
        _deposits[entryAddress] = deposit;
        WriteEntry(entryAddress, entry | Pte.LargePage);
        return true;
    }

    /// <summary>
    /// Clears the large entry mapping <paramref name="virtualAddress"/> (undoing <see cref="SetLarge"/>) and returns
    /// what it held, 0 when none. Its deposit stays a table frame of this table until it dies.
    /// </summary>
    public ulong ClearLarge(ulong virtualAddress)
    {
        ulong table = RootAddress;
        for (int level = 3; level > 0; level--)
        {
            ulong entryAddress = table + (((virtualAddress >> Pte.PageShift(level)) & 511) << 3);
            ulong entry = _memory.ReadUInt64(entryAddress);
            if ((entry & Pte.Present) == 0) return 0;
            if (Pte.IsLeaf(level, entry))
            {
                WriteEntry(entryAddress, 0);
                _deposits.Remove(entryAddress);
                return entry;
            }
            table = entry & Pte.AddressMask;
        }
        return 0;
    }

    // Frames set aside by SetLarge, by the address of the large entry they will split (looked up, never listed).
    private readonly Dictionary<ulong, ulong> _deposits = [];

    private bool IsEmptyTable(ulong table, int level)
    {
        for (ulong i = 0; i < 512; i++)
        {
            ulong entry = _memory.ReadUInt64(table + i * 8);
            if (entry == 0) continue;
            if (level == 0 || (entry & Pte.Present) == 0 || Pte.IsLeaf(level, entry) || !IsEmptyTable(entry & Pte.AddressMask, level - 1)) return false;
        }
        return true;
    }

    // The 4 KiB leaf a large `entry` at `level` stands for at `va`: same flags (PS cleared: in a PTE it is PAT), the frame of va.
    private static ulong SmallView(ulong entry, int level, ulong va)
    {
        ulong pageBase = entry & Pte.AddressMask & ~((1UL << Pte.PageShift(level)) - 1);
        ulong flags = entry & (0xFFFUL | Pte.NoExecute) & ~Pte.LargePage;
        return (pageBase + (va & ((1UL << Pte.PageShift(level)) - 1) & ~0xFFFUL)) | flags;
    }

    /// <summary>
    /// Replaces the large page in the entry at <paramref name="entryAddress"/> (a <paramref name="level"/> 1 PDE or
    /// level 2 PDPTE) by a table of 512 entries one size smaller with the same frames and flags: no translation
    /// changes, so no TLB entry goes stale (the kernel still invalidates what it changes next). Returns the new
    /// table entry, or 0 when no frame is free for the table (only a large page the kernel did not make itself).
    /// </summary>
    private ulong Split(ulong entryAddress, ulong entry, int level)
    {
        // The frame SetLarge set aside (already a zeroed table frame of ours), else a new one.
        if (!_deposits.Remove(entryAddress, out ulong frame))
        {
            if (!_frames.TryAllocate(FrameUse.Kernel, out frame)) return 0;
            _tableFrames.Add(frame);
        }
        ulong table = frame << PhysicalMemory.FrameShift;
        ulong pageBase = entry & Pte.AddressMask & ~((1UL << Pte.PageShift(level)) - 1);
        ulong flags = entry & (0xFFFUL | Pte.NoExecute);
        if (level == 1) flags &= ~Pte.LargePage;
        ulong step = 1UL << Pte.PageShift(level - 1);
        for (ulong i = 0; i < 512; i++) WriteEntry(table + i * 8, (pageBase + i * step) | flags);
        // The large entry's R/W, U/S and NX now live in the smaller entries; the table entry allows all, as ours do.
        ulong tableEntry = Pte.Make(frame, TableFlags) | (entry & Pte.Accessed);
        WriteEntry(entryAddress, tableEntry);
        return tableEntry;
    }

    /// <summary>
    /// Writes the leaf entry for <paramref name="virtualAddress"/>, creating missing tables.
    /// Returns false (and changes no leaf) when a table frame cannot be allocated.
    /// </summary>
    public bool SetLeaf(ulong virtualAddress, ulong entry)
    {
        ulong address = LeafAddress(virtualAddress, create: true, out bool outOfMemory);
        if (outOfMemory) return false;
        WriteEntry(address, entry);
        return true;
    }

    /// <summary>Clears the leaf entry and returns what it held (0 when nothing was mapped).</summary>
    public ulong ClearLeaf(ulong virtualAddress)
    {
        ulong address = LeafAddress(virtualAddress, create: false, out _);
        if (address == 0) return 0;
        ulong old = _memory.ReadUInt64(address);
        if (old != 0) WriteEntry(address, 0);
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
            if (old != 0) WriteEntry(entry, 0);
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
            WriteEntry(entry, entries[i]);
        }
        return entries.Length;
    }

    // The bytes one page table (512 leaves) covers, minus one: a va with these bits clear starts a new table.
    private const ulong LeafTableSpan = (512UL << PhysicalMemory.FrameShift) - 1;

    /// <summary>
    /// Every non-zero leaf entry, in ascending virtual-address order; a 2 MiB or 1 GiB page appears as the 4 KiB
    /// entries it stands for (see <see cref="Query"/>), so frame accounting counts each of its frames.
    /// </summary>
    public IEnumerable<(ulong VirtualAddress, ulong Entry)> Leaves()
    {
        var found = new List<(ulong, ulong)>();
        CollectLeaves(RootAddress, 3, 0, found);
        return found;
    }

    // Every write of an entry goes through here: it marks the address spaces changed for the invariant checks.
    private void WriteEntry(ulong address, ulong entry)
    {
        _memory.Changes.Mark(Invariants.CheckedState.Spaces);
        _memory.WriteUInt64(address, entry);
    }

    /// <summary>
    /// Frees every table frame. Leaf frames are not touched: the address space releases them first.
    /// </summary>
    public void FreeTables()
    {
        _memory.Changes.Mark(Invariants.CheckedState.Spaces);
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
            bool leaf = Pte.IsLeaf(level, entry);
            string target = level == 0 ? $"frame {Pte.FrameOf(entry)}"
                : leaf ? $"{(level == 1 ? "2 MiB" : "1 GiB")} page, frames {Pte.FrameOf(entry)}..{Pte.FrameOf(entry) + (1UL << (9 * level)) - 1}"
                : $"-> {LevelNames[level - 1]} in frame {Pte.FrameOf(entry)}";
            sb.AppendLine(CultureInfo.InvariantCulture, $"{indent}{LevelNames[level]}[{i,3}] 0x{entry:x16} {Pte.Describe(entry),-18} va 0x{va:x12} {target}");
            if (level > 0 && !leaf && (entry & Pte.Present) != 0) DumpLevel(sb, entry & Pte.AddressMask, level - 1, va);
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
            else if ((entry & Pte.Present) != 0 && Pte.IsLeaf(level, entry))
                for (ulong page = 0; page < 1UL << (9 * level); page++) found.Add((va + (page << PhysicalMemory.FrameShift), SmallView(entry, level, va + (page << PhysicalMemory.FrameShift))));
            else if ((entry & Pte.Present) != 0) CollectLeaves(entry & Pte.AddressMask, level - 1, va, found);
        }
    }

    // Sign-extends bit 47, as the hardware requires of a virtual address.
    private static ulong Canonical(ulong va) => (ulong)(((long)va << 16) >> 16);

    private ulong LeafAddress(ulong va, bool create, out bool outOfMemory) => EntryAddress(va, 0, create, out outOfMemory);

    // The address of the entry for `va` at `level` (0 = PTE), creating missing tables when `create` and splitting any
    // large page on the way (a leaf edit inside a 2 MiB page needs its PTE). 0 when a table is missing and not created.
    private ulong EntryAddress(ulong va, int target, bool create, out bool outOfMemory)
    {
        outOfMemory = false;
        ulong table = RootAddress;
        for (int level = 3; level > target; level--)
        {
            ulong entryAddress = table + (((va >> (PhysicalMemory.FrameShift + 9 * level)) & 511) << 3);
            ulong entry = _memory.ReadUInt64(entryAddress);
            if ((entry & Pte.Present) != 0 && Pte.IsLeaf(level, entry))
            {
                entry = Split(entryAddress, entry, level);
                if (entry == 0) { outOfMemory = true; return 0; }
            }
            if ((entry & Pte.Present) == 0)
            {
                if (!create) return 0;
                if (!_frames.TryAllocate(FrameUse.Kernel, out ulong frame)) { outOfMemory = true; return 0; }
                _tableFrames.Add(frame);
                entry = Pte.Make(frame, TableFlags);
                WriteEntry(entryAddress, entry);
                if (level == 3) RootEntryAdded?.Invoke((int)((va >> 39) & 511), entry);
            }
            table = entry & Pte.AddressMask;
        }
        return table + (((va >> Pte.PageShift(target)) & 511) << 3);
    }
}
