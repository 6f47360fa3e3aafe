using System.Runtime.CompilerServices;

namespace MicroKernel.Hardware.Paging;

/// <summary>
/// The memory management unit: translates user virtual addresses by walking the 4-level page tables that live in
/// <see cref="PhysicalMemory"/>, enforcing P, R/W, U/S and NX at every level, setting Accessed and Dirty bits as
/// hardware does, and caching translations in a <see cref="Tlb"/>. Every access it checks is a user-mode access.
/// </summary>
public sealed class Mmu
{
    private const ulong NoRoot = ulong.MaxValue;
    private readonly PhysicalMemory _memory;
    private ulong _root = NoRoot;

    /// <summary>Creates an MMU over <paramref name="memory"/> with a TLB of <paramref name="tlbSize"/> entries.</summary>
    public Mmu(PhysicalMemory memory, int tlbSize = 64)
    {
        _memory = memory;
        Tlb = new Tlb(tlbSize);
    }

    /// <summary>The translation cache.</summary>
    public Tlb Tlb { get; }

    /// <summary>Physical address of the loaded PML4 (CR3), or <see cref="ulong.MaxValue"/> when none is loaded.</summary>
    public ulong Root => _root;

    /// <summary>Loads CR3: switching to another address space flushes the TLB.</summary>
    public void LoadRoot(ulong rootAddress)
    {
        if (rootAddress == _root) return;
        _root = rootAddress;
        Tlb.Flush();
    }

    /// <summary>Unloads CR3 (the address space is being destroyed).</summary>
    public void UnloadRoot()
    {
        _root = NoRoot;
        Tlb.Flush();
    }

    /// <summary>
    /// Translates a user access in the loaded address space. A TLB hit costs one compare; a miss walks the tables.
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
        Tlb.Misses++;
        if (!Walk(_root, virtualAddress, access, out physicalAddress, out fault, out int allowed)) return false;
        e.Tag = vpn + 1;
        e.FrameBase = physicalAddress & ~0xFFFUL;
        e.Allowed = allowed;
        return true;
    }

    /// <summary>
    /// Walks the tables rooted at <paramref name="rootAddress"/> without using or filling the TLB (the kernel
    /// reading an address space that is not loaded). Sets A/D bits like a hardware walk.
    /// </summary>
    public bool TranslateUncached(ulong rootAddress, ulong virtualAddress, AccessKind access, out ulong physicalAddress, out MemoryFault fault) =>
        Walk(rootAddress, virtualAddress, access, out physicalAddress, out fault, out _);

    /// <summary>
    /// The tlb-coherence invariant: every valid TLB entry against a fresh, read-only walk of the loaded tables. A stale
    /// entry (a translation the tables no longer have, another frame, or more rights than the tables give) is a
    /// missed invalidation: the process could still reach a page it lost.
    /// </summary>
    internal List<string> StaleTranslations()
    {
        var problems = new List<string>();
        for (int i = 0; i < Tlb.Size; i++)
        {
            TlbEntry e = Tlb.Slot((ulong)i);
            if (e.Tag == 0) continue;
            ulong va = (e.Tag - 1) << PhysicalMemory.FrameShift;
            ulong frame = e.FrameBase >> PhysicalMemory.FrameShift;
            string cached = $"TLB entry {i} translates 0x{va:x} to frame {frame} ({Rights(e.Allowed)})";
            if (!Probe(_root, va, out ulong frameBase, out int allowed))
                problems.Add(_root == NoRoot ? $"{cached} but no page table is loaded" : $"{cached} but the loaded tables (CR3 0x{_root:x}) map nothing there");
            else if (frameBase != e.FrameBase)
                problems.Add($"{cached} but the loaded tables map it to frame {frameBase >> PhysicalMemory.FrameShift}");
            else if ((e.Allowed & ~allowed) != 0)
                problems.Add($"{cached} but the loaded tables allow only {Rights(allowed)}");
        }
        return problems;
    }

    private static string Rights(int allowed) => string.Concat(
        (allowed & (1 << (int)AccessKind.Read)) != 0 ? "r" : "-",
        (allowed & (1 << (int)AccessKind.Write)) != 0 ? "w" : "-",
        (allowed & (1 << (int)AccessKind.Execute)) != 0 ? "x" : "-");

    // A walk that changes nothing (no A/D bits): what a TLB fill would cache for `va` now, or false when it faults.
    private bool Probe(ulong root, ulong va, out ulong frameBase, out int allowed)
    {
        frameBase = 0;
        allowed = 0;
        if (root == NoRoot || !Pte.IsCanonical(va)) return false;
        bool writable = true, user = true, noExecute = false;
        ulong table = root;
        for (int level = 3; level >= 0; level--)
        {
            ulong entry = _memory.ReadUInt64(table + (((va >> (PhysicalMemory.FrameShift + 9 * level)) & 511) << 3));
            ulong next = entry & Pte.AddressMask;
            if ((entry & Pte.Present) == 0 || next >= _memory.Size || (level > 0 && (entry & Pte.LargePage) != 0)) return false;
            writable &= (entry & Pte.Writable) != 0;
            user &= (entry & Pte.User) != 0;
            noExecute |= (entry & Pte.NoExecute) != 0;
            if (level == 0)
            {
                if (!user) return false;
                allowed = 1 << (int)AccessKind.Read
                    | (writable && (entry & Pte.Dirty) != 0 ? 1 << (int)AccessKind.Write : 0)
                    | (noExecute ? 0 : 1 << (int)AccessKind.Execute);
                frameBase = next;
                return true;
            }
            table = next;
        }
        return false;
    }

    private bool Walk(ulong root, ulong va, AccessKind access, out ulong pa, out MemoryFault fault, out int allowed)
    {
        pa = 0;
        allowed = 0;
        if (!Pte.IsCanonical(va)) { fault = new(va, access, FaultReason.NonCanonical); return false; }
        if (root == NoRoot) { fault = new(va, access, FaultReason.NotPresent); return false; }
        bool writable = true, user = true, noExecute = false;
        ulong table = root;
        for (int level = 3; level >= 0; level--)
        {
            ulong entryAddress = table + (((va >> (PhysicalMemory.FrameShift + 9 * level)) & 511) << 3);
            ulong entry = _memory.ReadUInt64(entryAddress);
            ulong next = entry & Pte.AddressMask;
            // A frame outside RAM or a large page (which this kernel never makes) is treated as not present.
            if ((entry & Pte.Present) == 0 || next >= _memory.Size || (level > 0 && (entry & Pte.LargePage) != 0))
            {
                fault = new(va, access, FaultReason.NotPresent);
                return false;
            }
            writable &= (entry & Pte.Writable) != 0;
            user &= (entry & Pte.User) != 0;
            noExecute |= (entry & Pte.NoExecute) != 0;
            if (level == 0)
            {
                FaultReason? reason = !user ? FaultReason.Supervisor
                    : access == AccessKind.Write && !writable ? FaultReason.ReadOnly
                    : access == AccessKind.Execute && noExecute ? FaultReason.NoExecute
                    : null;
                if (reason is { } r) { fault = new(va, access, r); return false; }
                ulong updated = entry | Pte.Accessed | (access == AccessKind.Write ? Pte.Dirty : 0);
                if (updated != entry) _memory.WriteUInt64(entryAddress, updated);
                allowed = 1 << (int)AccessKind.Read
                    | (writable && (updated & Pte.Dirty) != 0 ? 1 << (int)AccessKind.Write : 0)
                    | (noExecute ? 0 : 1 << (int)AccessKind.Execute);
                pa = next | (va & 0xFFF);
                fault = default;
                return true;
            }
            if ((entry & Pte.Accessed) == 0) _memory.WriteUInt64(entryAddress, entry | Pte.Accessed);
            table = next;
        }
        throw new InvalidOperationException("unreachable");
    }
}
