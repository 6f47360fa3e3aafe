using System.Runtime.CompilerServices;

namespace MicroKernel.Hardware.Paging;

/// <summary>
/// A translation lookaside buffer of three direct-mapped arrays, as real x86 parts keep one per page size: 4 KiB
/// entries (the size the machine is given), 32 entries for 2 MiB pages and 4 for 1 GiB pages. A 4 KiB lookup is one
/// compare; the large arrays are looked at only when it misses, so large pages cost the 4 KiB hit path nothing.
/// A CR3 load drops every entry but the global ones; INVLPG drops the entries of any size that cover its address,
/// global or not; a full flush (CR4.PGE toggled) drops all.
/// </summary>
public sealed class Tlb
{
    /// <summary>Entries for 2 MiB pages (Skylake's L1 DTLB has 32).</summary>
    public const int LargeEntries = 32;

    /// <summary>Entries for 1 GiB pages (Skylake's L1 DTLB has 4).</summary>
    public const int HugeEntries = 4;

    private readonly TlbEntry[] _entries;
    private readonly TlbEntry[] _large = new TlbEntry[LargeEntries];
    private readonly TlbEntry[] _huge = new TlbEntry[HugeEntries];
    private readonly ulong _mask;

    // Global entries cached now: while none are, a CR3 load is a plain clear of the arrays.
    private int _globalCount;

    /// <summary>Creates a TLB of <paramref name="size"/> 4 KiB entries (a power of two).</summary>
    public Tlb(int size = 64)
    {
        if (size <= 0 || (size & (size - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(size), "TLB size must be a power of two");
        _entries = new TlbEntry[size];
        _mask = (ulong)size - 1;
    }

    /// <summary>Number of 4 KiB entries.</summary>
    public int Size => _entries.Length;

    /// <summary>Lookups served from the TLB (any page size).</summary>
    public long Hits { get; internal set; }

    /// <summary>Of <see cref="Hits"/>, those served by a 2 MiB or 1 GiB entry.</summary>
    public long LargeHits { get; internal set; }

    /// <summary>Lookups that needed a page walk.</summary>
    public long Misses { get; internal set; }

    /// <summary>Flushes: CR3 loads (global entries kept) and full flushes.</summary>
    public long Flushes { get; private set; }

    /// <summary>Global entries that a CR3 load kept, summed over all loads: the walks global pages saved.</summary>
    public long GlobalKept { get; private set; }

    /// <summary>Single-page invalidations (invlpg).</summary>
    public long Invalidations { get; private set; }

    /// <summary>The 4 KiB entries and the index mask, for the x86 translator's inlined hit path (Mmu.Translate's first test).</summary>
    internal TlbEntry[] SmallEntries => _entries;

    internal ulong SmallMask => _mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref TlbEntry Slot(ulong vpn) => ref _entries[vpn & _mask];

    // The entry for the large page of `shift` (21 or 30) holding `va`.
    internal ref TlbEntry LargeSlot(ulong va, int shift)
    {
        ulong number = va >> shift;
        return ref shift == 30 ? ref _huge[number & (HugeEntries - 1)] : ref _large[number & (LargeEntries - 1)];
    }

    /// <summary>Where the TLB marks that its entries changed (tlb-coherence re-checks then); null for a TLB alone.</summary>
    internal Invariants.StateChanges? Changes { get; init; }

    // Caches a translation of the page of `shift` holding `va`.
    internal void Fill(ulong va, int shift, ulong pageBase, int allowed, bool global)
    {
        Changes?.Mark(Invariants.CheckedState.Tlb);
        ref TlbEntry e = ref shift == PhysicalMemory.FrameShift ? ref Slot(va >> shift) : ref LargeSlot(va, shift);
        if (e.Tag != 0 && e.Global) _globalCount--;
        e = new TlbEntry { Tag = (va >> shift) + 1, FrameBase = pageBase, Allowed = allowed, Global = global };
        if (global) _globalCount++;
    }

    /// <summary>A CR3 load: drops every cached translation except the global ones (SDM 4.10.4.1).</summary>
    public void Flush()
    {
        Changes?.Mark(Invariants.CheckedState.Tlb);
        Flushes++;
        if (_globalCount == 0) { ClearAll(); return; }
        GlobalKept += _globalCount;
        DropNonGlobal(_entries);
        DropNonGlobal(_large);
        DropNonGlobal(_huge);
    }

    /// <summary>A full flush, global entries included (what toggling CR4.PGE does).</summary>
    public void FlushAll()
    {
        Changes?.Mark(Invariants.CheckedState.Tlb);
        Flushes++;
        ClearAll();
    }

    private void ClearAll()
    {
        Array.Clear(_entries);
        Array.Clear(_large);
        Array.Clear(_huge);
        _globalCount = 0;
    }

    private static void DropNonGlobal(TlbEntry[] entries)
    {
        for (int i = 0; i < entries.Length; i++)
            if (!entries[i].Global) entries[i] = default;
    }

    /// <summary>
    /// The kernel's fault injector when its plan has a <c>kernel-bug name=skip-tlb-flush</c> rule, else null: it may make
    /// the kernel "forget" one invalidation (the counter still counts it, the entry stays: a stale translation).
    /// </summary>
    internal Faults.FaultInjector? Injector { get; set; }

    /// <summary>
    /// Drops the translations of the page holding <paramref name="virtualAddress"/> (invlpg): the 4 KiB entry and any
    /// 2 MiB or 1 GiB entry that covers the address, global or not (SDM 4.10.4.1).
    /// </summary>
    public void Invalidate(ulong virtualAddress)
    {
        Changes?.Mark(Invariants.CheckedState.Tlb);
        if (Injector is { } f && f.SkipTlbInvalidation(Invalidations + 1, virtualAddress))
        {
            Invalidations++;
            return;
        }
        Drop(ref Slot(virtualAddress >> PhysicalMemory.FrameShift), virtualAddress >> PhysicalMemory.FrameShift);
        Drop(ref LargeSlot(virtualAddress, 21), virtualAddress >> 21);
        Drop(ref LargeSlot(virtualAddress, 30), virtualAddress >> 30);
        Invalidations++;
    }

    private void Drop(ref TlbEntry e, ulong number)
    {
        if (e.Tag != number + 1) return;
        if (e.Global) _globalCount--;
        e = default;
    }

    /// <summary>True when a translation of any page size for <paramref name="virtualAddress"/> is cached (for tests).</summary>
    public bool Contains(ulong virtualAddress) =>
        Slot(virtualAddress >> PhysicalMemory.FrameShift).Tag == (virtualAddress >> PhysicalMemory.FrameShift) + 1
        || LargeSlot(virtualAddress, 21).Tag == (virtualAddress >> 21) + 1
        || LargeSlot(virtualAddress, 30).Tag == (virtualAddress >> 30) + 1;

    /// <summary>True when the cached translation of <paramref name="virtualAddress"/> is a global one (for tests).</summary>
    public bool ContainsGlobal(ulong virtualAddress)
    {
        ulong vpn = virtualAddress >> PhysicalMemory.FrameShift;
        return (Slot(vpn).Tag == vpn + 1 && Slot(vpn).Global)
            || (LargeSlot(virtualAddress, 21).Tag == (virtualAddress >> 21) + 1 && LargeSlot(virtualAddress, 21).Global)
            || (LargeSlot(virtualAddress, 30).Tag == (virtualAddress >> 30) + 1 && LargeSlot(virtualAddress, 30).Global);
    }

    /// <summary>Every valid entry as (virtual address of its page, page shift, entry), for the tlb-coherence invariant.</summary>
    internal IEnumerable<(int Index, ulong VirtualAddress, int Shift, TlbEntry Entry)> Entries()
    {
        for (int i = 0; i < _entries.Length; i++)
            if (_entries[i].Tag != 0) yield return (i, (_entries[i].Tag - 1) << 12, 12, _entries[i]);
        for (int i = 0; i < _large.Length; i++)
            if (_large[i].Tag != 0) yield return (i, (_large[i].Tag - 1) << 21, 21, _large[i]);
        for (int i = 0; i < _huge.Length; i++)
            if (_huge[i].Tag != 0) yield return (i, (_huge[i].Tag - 1) << 30, 30, _huge[i]);
    }
}
