using System.Runtime.CompilerServices;

namespace MicroKernel.Hardware.Paging;

/// <summary>
/// The memory management unit: translates virtual addresses by walking the 4-level page tables that live in
/// <see cref="PhysicalMemory"/> (Intel SDM vol. 3A, 4.5), enforcing P, R/W, U/S and NX at every level, faulting on
/// reserved bits, mapping 4 KiB, 2 MiB and 1 GiB pages, setting Accessed and Dirty bits as hardware does, and caching
/// translations in a <see cref="Tlb"/>. <see cref="Translate"/> is a user-mode access; <see cref="TranslateSupervisor"/>
/// is the kernel's own (CR0.WP set; SMEP and SMAP not modelled).
/// </summary>
public sealed class Mmu
{
    private const ulong NoRoot = ulong.MaxValue;
    private const int SupervisorShift = 3;
    private readonly PhysicalMemory _memory;
    private ulong _root = NoRoot;
    private bool _globalPages = true;

    /// <summary>Creates an MMU over <paramref name="memory"/> with a TLB of <paramref name="tlbSize"/> entries.</summary>
    public Mmu(PhysicalMemory memory, int tlbSize = 64)
    {
        _memory = memory;
        Tlb = new Tlb(tlbSize) { Changes = memory.Changes };
    }

    /// <summary>The translation cache.</summary>
    public Tlb Tlb { get; }

    /// <summary>Physical address of the loaded PML4 (CR3), or <see cref="ulong.MaxValue"/> when none is loaded.</summary>
    public ulong Root => _root;

    /// <summary>
    /// CR4.PGE: when set (the default), translations through a leaf with G survive CR3 loads. Changing it flushes the
    /// whole TLB, global entries included (SDM 4.10.4.1), and counts as a flush.
    /// </summary>
    public bool GlobalPagesEnabled
    {
        get => _globalPages;
        set
        {
            if (value == _globalPages) return;
            _globalPages = value;
            Tlb.FlushAll();
        }
    }

    /// <summary>
    /// A MOV to CR3: invalidates every non-global TLB entry, even when <paramref name="rootAddress"/> is the value CR3
    /// already holds (SDM 4.10.4.1: "reload CR3 to flush" works, and counts as a flush). The kernel skips the load
    /// itself when it switches between threads of one address space.
    /// </summary>
    public void LoadRoot(ulong rootAddress)
    {
        _root = rootAddress;
        Tlb.Flush();
    }

    /// <summary>Unloads CR3 (the address space is being destroyed): every entry goes, global ones too.</summary>
    public void UnloadRoot()
    {
        _root = NoRoot;
        Tlb.FlushAll();
    }

    /// <summary>
    /// Translates a user access in the loaded address space. A 4 KiB TLB hit costs one compare; anything else
    /// (a large-page entry, a walk) is out of line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Translate(ulong virtualAddress, AccessKind access, out ulong physicalAddress, out MemoryFault fault)
    {
        ulong vpn = virtualAddress >> PhysicalMemory.FrameShift;
        ref TlbEntry e = ref Tlb.Slot(vpn);
        if (e.Tag == vpn + 1 && (e.Allowed & (1 << (int)access)) != 0)
        {
            Tlb.Hits++;
            physicalAddress = e.FrameBase | (virtualAddress & 0xFFF);
            fault = default;
            return true;
        }
        return TranslateMiss(virtualAddress, access, supervisor: false, out physicalAddress, out fault);
    }

    /// <summary>
    /// Translates a supervisor-mode access (the kernel touching its own half): U/S is not required, R/W still is
    /// (CR0.WP = 1). Uses and fills the same TLB, so global kernel pages show in its statistics.
    /// </summary>
    public bool TranslateSupervisor(ulong virtualAddress, AccessKind access, out ulong physicalAddress, out MemoryFault fault)
    {
        ulong vpn = virtualAddress >> PhysicalMemory.FrameShift;
        ref TlbEntry e = ref Tlb.Slot(vpn);
        if (e.Tag == vpn + 1 && (e.Allowed & (1 << ((int)access + SupervisorShift))) != 0)
        {
            Tlb.Hits++;
            physicalAddress = e.FrameBase | (virtualAddress & 0xFFF);
            fault = default;
            return true;
        }
        return TranslateMiss(virtualAddress, access, supervisor: true, out physicalAddress, out fault);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TranslateMiss(ulong va, AccessKind access, bool supervisor, out ulong pa, out MemoryFault fault)
    {
        int bit = 1 << ((int)access + (supervisor ? SupervisorShift : 0));
        if (LargeHit(va, 21, bit, out pa) || LargeHit(va, 30, bit, out pa))
        {
            Tlb.Hits++;
            Tlb.LargeHits++;
            fault = default;
            return true;
        }
        Tlb.Misses++;
        if (!Walk(_root, va, access, supervisor, update: true, out PageWalk w, out fault)) { pa = 0; return false; }
        Tlb.Fill(va, w.Shift, w.PageBase, w.Allowed, w.Global && _globalPages);
        pa = w.PageBase | (va & ((1UL << w.Shift) - 1));
        return true;
    }

    private bool LargeHit(ulong va, int shift, int bit, out ulong pa)
    {
        ref TlbEntry e = ref Tlb.LargeSlot(va, shift);
        pa = e.FrameBase | (va & ((1UL << shift) - 1));
        return e.Tag == (va >> shift) + 1 && (e.Allowed & bit) != 0;
    }

    /// <summary>
    /// Walks the tables rooted at <paramref name="rootAddress"/> without using or filling the TLB (the kernel
    /// reading an address space that is not loaded). Sets A/D bits like a hardware walk.
    /// </summary>
    public bool TranslateUncached(ulong rootAddress, ulong virtualAddress, AccessKind access, out ulong physicalAddress, out MemoryFault fault)
    {
        bool ok = Walk(rootAddress, virtualAddress, access, supervisor: false, update: true, out PageWalk w, out fault);
        physicalAddress = ok ? w.PageBase | (virtualAddress & ((1UL << w.Shift) - 1)) : 0;
        return ok;
    }

    /// <summary>
    /// Checks a user access as <see cref="Translate"/> would, changing nothing: no A/D bit, no TLB fill, no counter.
    /// The kernel checks a whole range this way before it writes a byte, so a write that faults on its second page
    /// leaves the first page clean (SDM 4.8: D is set on a write, and no byte was written). A TLB entry that allows
    /// the access is believed, as the hardware would.
    /// </summary>
    public bool Check(ulong rootAddress, ulong virtualAddress, AccessKind access, out MemoryFault fault)
    {
        int bit = 1 << (int)access;
        if (rootAddress == _root)
        {
            ulong vpn = virtualAddress >> PhysicalMemory.FrameShift;
            TlbEntry e = Tlb.Slot(vpn);
            if ((e.Tag == vpn + 1 && (e.Allowed & bit) != 0) || LargeHit(virtualAddress, 21, bit, out _) || LargeHit(virtualAddress, 30, bit, out _))
            {
                fault = default;
                return true;
            }
        }
        return Walk(rootAddress, virtualAddress, access, supervisor: false, update: false, out _, out fault);
    }

    /// <summary>
    /// The tlb-coherence invariant: every valid TLB entry (any page size, global or not) against a fresh, read-only
    /// walk of the loaded tables. A stale entry (a translation the tables no longer have, another frame or page size,
    /// or more rights than the tables give) is a missed invalidation: the process could still reach a page it lost.
    /// A global entry must hold in whatever space is loaded now: that is why only the kernel half, the same in
    /// every space, may be global.
    /// </summary>
    /// <remarks>
    /// A sound TLB costs no allocation and no formatting: the entries are read straight from the TLB's arrays, and an
    /// entry's description is made only when it is found stale (checked after every syscall under <c>--check</c>).
    /// </remarks>
    internal IReadOnlyList<string> StaleTranslations()
    {
        List<string>? problems = null;
        TlbEntry[] small = Tlb.SmallEntries;
        for (int i = 0; i < small.Length; i++) CheckTlbEntry(i, 12, small[i], ref problems);
        // LargeSlot of an index's own page is that index's entry (no other way to the arrays without an enumerator).
        for (int i = 0; i < Tlb.LargeEntries; i++) CheckTlbEntry(i, 21, Tlb.LargeSlot((ulong)i << 21, 21), ref problems);
        for (int i = 0; i < Tlb.HugeEntries; i++) CheckTlbEntry(i, 30, Tlb.LargeSlot((ulong)i << 30, 30), ref problems);
        return problems ?? (IReadOnlyList<string>)[];
    }

    // One TLB entry (index `index` of the array of pages of 1 << shift bytes) against a fresh walk; a problem found is
    // added to `problems` (made on the first one).
    private void CheckTlbEntry(int index, int shift, in TlbEntry e, ref List<string>? problems)
    {
        if (e.Tag == 0) return; // empty
        ulong start = (ulong)((long)((e.Tag - 1) << shift) << 16 >> 16);
        // The tables may now map the range with smaller pages (a large page split, same frames): then every 4 KiB
        // page the entry covers must still translate as the entry says.
        ulong pages = 1UL << (shift - PhysicalMemory.FrameShift);
        for (ulong page = 0; page < pages; page++)
        {
            ulong at = start + (page << PhysicalMemory.FrameShift), cachedFrame = e.FrameBase + (page << PhysicalMemory.FrameShift);
            string problem;
            if (!Walk(_root, at, AccessKind.Read, supervisor: true, update: false, out PageWalk w, out _))
                problem = _root == NoRoot ? "but no page table is loaded" : $"but the loaded tables (CR3 0x{_root:x}) map nothing there{Inside(page, at)}";
            else if ((w.PageBase | (at & ((1UL << w.Shift) - 1))) != cachedFrame)
                problem = $"but the loaded tables map it to frame {(w.PageBase | (at & ((1UL << w.Shift) - 1))) >> PhysicalMemory.FrameShift}{Inside(page, at)}";
            else if ((e.Allowed & ~w.Allowed) != 0)
                problem = $"but the loaded tables allow only {Rights(w.Allowed)}{Inside(page, at)}";
            else if (w.Shift >= shift)
                return; // the same page (or a larger one holding it): the whole entry is right
            else
                continue;
            string size = shift == 12 ? "" : shift == 21 ? " 2 MiB" : " 1 GiB";
            (problems ??= []).Add($"TLB{size} entry {index} translates 0x{start:x} to frame {e.FrameBase >> PhysicalMemory.FrameShift}{(e.Global ? " (global)" : "")} ({Rights(e.Allowed)}) {problem}");
            return; // one problem per entry
        }
    }

    // Where inside a large entry a problem lies (nothing for its first page).
    private static string Inside(ulong page, ulong at) => page == 0 ? "" : $" (at 0x{at:x}, inside it)";

    // User rights as "rwx", then supervisor-only rights after a slash when the entry is not user-accessible.
    private static string Rights(int allowed) =>
        (allowed & 7) == 0 && allowed != 0 ? $"supervisor {RightsOf(allowed >> SupervisorShift)}" : RightsOf(allowed);

    private static string RightsOf(int allowed) => string.Concat(
        (allowed & (1 << (int)AccessKind.Read)) != 0 ? "r" : "-",
        (allowed & (1 << (int)AccessKind.Write)) != 0 ? "w" : "-",
        (allowed & (1 << (int)AccessKind.Execute)) != 0 ? "x" : "-");

    // What one walk found: the page's physical base and size, the rights a TLB entry may cache, and G.
    private readonly record struct PageWalk(ulong PageBase, int Shift, int Allowed, bool Global);

    /// <summary>
    /// The walk (SDM 4.5): at each level a not-present entry faults NotPresent, a present one with a reserved bit set
    /// faults ReservedBit (the RSVD error-code bit); R/W and U/S are ANDed and NX ORed over the levels; a PDE or PDPTE
    /// with PS ends the walk at a 2 MiB or 1 GiB page. With <paramref name="update"/> the walk sets A on every entry it
    /// uses and, on a write that is allowed, D on the leaf; without it, it changes nothing.
    /// </summary>
    private bool Walk(ulong root, ulong va, AccessKind access, bool supervisor, bool update, out PageWalk walk, out MemoryFault fault)
    {
        walk = default;
        if (!Pte.IsCanonical(va)) { fault = new(va, access, FaultReason.NonCanonical); return false; }
        if (root == NoRoot) { fault = new(va, access, FaultReason.NotPresent); return false; }
        bool writable = true, user = true, noExecute = false;
        ulong table = root;
        for (int level = 3; level >= 0; level--)
        {
            ulong entryAddress = table + (((va >> Pte.PageShift(level)) & 511) << 3);
            ulong entry = _memory.ReadUInt64(entryAddress);
            if ((entry & Pte.Present) == 0) { fault = new(va, access, FaultReason.NotPresent); return false; }
            if ((entry & Pte.ReservedBits(level, entry)) != 0) { fault = new(va, access, FaultReason.ReservedBit); return false; }
            bool leaf = Pte.IsLeaf(level, entry);
            int shift = Pte.PageShift(level);
            ulong next = leaf ? entry & Pte.AddressMask & ~((1UL << shift) - 1) : entry & Pte.AddressMask;
            // This machine has no memory-mapped devices: a table or page (of any size) not wholly in RAM is not present.
            ulong span = leaf ? 1UL << shift : PhysicalMemory.FrameSize;
            if (next >= _memory.Size || span > _memory.Size - next) { fault = new(va, access, FaultReason.NotPresent); return false; }
            writable &= (entry & Pte.Writable) != 0;
            user &= (entry & Pte.User) != 0;
            noExecute |= (entry & Pte.NoExecute) != 0;
            if (!leaf)
            {
                if (update && (entry & Pte.Accessed) == 0) _memory.WriteUInt64(entryAddress, entry | Pte.Accessed);
                table = next;
                continue;
            }
            FaultReason? reason = !supervisor && !user ? FaultReason.Supervisor
                : access == AccessKind.Write && !writable ? FaultReason.ReadOnly
                : access == AccessKind.Execute && noExecute ? FaultReason.NoExecute
                : null;
            if (reason is { } r) { fault = new(va, access, r); return false; }
            if (update)
            {
                ulong updated = entry | Pte.Accessed | (access == AccessKind.Write ? Pte.Dirty : 0);
                if (updated != entry) _memory.WriteUInt64(entryAddress, updated);
                entry = updated;
            }
            // A write may hit the TLB only once D is set, so the first write still walks and sets it.
            int rights = 1 << (int)AccessKind.Read
                | (writable && (entry & Pte.Dirty) != 0 ? 1 << (int)AccessKind.Write : 0)
                | (noExecute ? 0 : 1 << (int)AccessKind.Execute);
            walk = new PageWalk(next, shift, (user ? rights : 0) | rights << SupervisorShift, (entry & Pte.Global) != 0);
            fault = default;
            return true;
        }
        throw new InvalidOperationException("unreachable");
    }
}
