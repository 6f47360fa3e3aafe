namespace MicroKernel.Hardware.Paging;

/// <summary>
/// The bits of an x86-64 page-table entry (Intel SDM vol. 3, "4-Level Paging"), used at all four levels:
/// PML4E, PDPTE, PDE and PTE. The frame number sits in bits 12..51.
/// </summary>
public static class Pte
{
    /// <summary>P: the entry maps something; clear = any access faults.</summary>
    public const ulong Present = 1UL << 0;
    /// <summary>R/W: writes allowed (must be set at every level for a write to succeed).</summary>
    public const ulong Writable = 1UL << 1;
    /// <summary>U/S: user-mode accesses allowed (must be set at every level).</summary>
    public const ulong User = 1UL << 2;
    /// <summary>PWT: write-through caching (not modelled, kept for dumps).</summary>
    public const ulong WriteThrough = 1UL << 3;
    /// <summary>PCD: cache disable (not modelled, kept for dumps).</summary>
    public const ulong CacheDisable = 1UL << 4;
    /// <summary>A: set by the MMU the first time the entry is used for a translation.</summary>
    public const ulong Accessed = 1UL << 5;
    /// <summary>D: set by the MMU on the first write through a leaf entry.</summary>
    public const ulong Dirty = 1UL << 6;
    /// <summary>
    /// PS: page size. In a PDE it maps a 2 MiB page, in a PDPTE a 1 GiB page (SDM 4.5, tables 4-15 and 4-17);
    /// reserved in a PML4E (a walk that meets it faults with RSVD). In a PTE the same bit is PAT (not modelled).
    /// </summary>
    public const ulong LargePage = 1UL << 7;
    /// <summary>
    /// G: global. With CR4.PGE set, the TLB keeps a translation made through this leaf across CR3 loads; only INVLPG
    /// or a full flush drops it (SDM 4.10.2.4). Ignored in non-leaf entries. The kernel half is mapped global.
    /// </summary>
    public const ulong Global = 1UL << 8;
    /// <summary>Software bit 9 (ignored by the MMU): the leaf keeps its frame while P is clear (PROT_NONE).</summary>
    public const ulong SoftKept = 1UL << 9;
    /// <summary>Software bit 10 (ignored by the MMU): the page is copy-on-write.</summary>
    public const ulong SoftCopyOnWrite = 1UL << 10;
    /// <summary>Software bit 11 (ignored by the MMU): the frame is shared with another address space.</summary>
    public const ulong SoftShared = 1UL << 11;
    /// <summary>XD/NX: instruction fetches fault (bit 63, needs EFER.NXE, which this machine has on).</summary>
    public const ulong NoExecute = 1UL << 63;
    /// <summary>The physical address bits 12..51.</summary>
    public const ulong AddressMask = 0x000F_FFFF_FFFF_F000UL;
    /// <summary>PAT in a 2 MiB or 1 GiB leaf (bit 12, where a PTE has address bits): not modelled, kept for dumps.</summary>
    public const ulong LargePat = 1UL << 12;
    /// <summary>
    /// MAXPHYADDR of this machine (CPUID.80000008H:EAX[7:0]; 46 on many server parts): address bits 51..46 of a
    /// present entry are reserved, and a walk that meets one set faults with RSVD (SDM 4.5, table 4-20).
    /// </summary>
    public const int MaxPhysicalAddressBits = 46;
    /// <summary>The reserved address bits above <see cref="MaxPhysicalAddressBits"/> (51..46).</summary>
    public const ulong AboveMaxPhysical = AddressMask & ~((1UL << MaxPhysicalAddressBits) - 1);
    /// <summary>Bytes a 2 MiB page covers (a PDE with PS).</summary>
    public const ulong LargePageSize = 1UL << 21;
    /// <summary>Bytes a 1 GiB page covers (a PDPTE with PS).</summary>
    public const ulong HugePageSize = 1UL << 30;

    /// <summary>
    /// The bits of a present entry at <paramref name="level"/> (3 = PML4E .. 0 = PTE) that must be zero, for an entry
    /// with or without PS: above MAXPHYADDR everywhere, PS in a PML4E, and in a large leaf the address bits below its
    /// alignment (20..13 of a 2 MiB PDE, 29..13 of a 1 GiB PDPTE): a misaligned large page is a reserved-bit fault.
    /// </summary>
    public static ulong ReservedBits(int level, ulong entry) => level switch
    {
        3 => AboveMaxPhysical | LargePage,
        2 when (entry & LargePage) != 0 => AboveMaxPhysical | ((HugePageSize - 1) & ~(LargePat | 0xFFF)),
        1 when (entry & LargePage) != 0 => AboveMaxPhysical | ((LargePageSize - 1) & ~(LargePat | 0xFFF)),
        _ => AboveMaxPhysical,
    };

    /// <summary>True when <paramref name="entry"/> at <paramref name="level"/> maps a page (a PTE, or a PDE/PDPTE with PS).</summary>
    public static bool IsLeaf(int level, ulong entry) => level == 0 || (level < 3 && (entry & LargePage) != 0);

    /// <summary>log2 of the bytes a leaf at <paramref name="level"/> maps: 12, 21 or 30.</summary>
    public static int PageShift(int level) => PhysicalMemory.FrameShift + 9 * level;

    /// <summary>The frame number an entry points at.</summary>
    public static ulong FrameOf(ulong entry) => (entry & AddressMask) >> PhysicalMemory.FrameShift;

    /// <summary>An entry pointing at <paramref name="frame"/> with <paramref name="flags"/>.</summary>
    public static ulong Make(ulong frame, ulong flags) => (frame << PhysicalMemory.FrameShift) & AddressMask | flags;

    /// <summary>A readable list of the set flags, e.g. "P RW US A D NX".</summary>
    public static string Describe(ulong entry)
    {
        var parts = new List<string>(10);
        if ((entry & Present) != 0) parts.Add("P");
        parts.Add((entry & Writable) != 0 ? "RW" : "RO");
        parts.Add((entry & User) != 0 ? "US" : "S");
        if ((entry & Accessed) != 0) parts.Add("A");
        if ((entry & Dirty) != 0) parts.Add("D");
        if ((entry & LargePage) != 0) parts.Add("PS");
        if ((entry & Global) != 0) parts.Add("G");
        if ((entry & NoExecute) != 0) parts.Add("NX");
        if ((entry & SoftKept) != 0) parts.Add("kept");
        if ((entry & SoftCopyOnWrite) != 0) parts.Add("cow");
        if ((entry & SoftShared) != 0) parts.Add("shared");
        return string.Join(' ', parts);
    }

    /// <summary>True when <paramref name="address"/> is canonical: bits 63..47 are all equal.</summary>
    public static bool IsCanonical(ulong address) => (ulong)(((long)address << 16) >> 16) == address;
}
