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
    /// <summary>PS: large page at PDPT/PD level. This kernel never sets it; the MMU treats it as reserved.</summary>
    public const ulong LargePage = 1UL << 7;
    /// <summary>G: global (survives CR3 reloads on real hardware; not used here).</summary>
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
        if ((entry & NoExecute) != 0) parts.Add("NX");
        if ((entry & SoftKept) != 0) parts.Add("kept");
        if ((entry & SoftCopyOnWrite) != 0) parts.Add("cow");
        if ((entry & SoftShared) != 0) parts.Add("shared");
        return string.Join(' ', parts);
    }

    /// <summary>True when <paramref name="address"/> is canonical: bits 63..47 are all equal.</summary>
    public static bool IsCanonical(ulong address) => (ulong)(((long)address << 16) >> 16) == address;
}
