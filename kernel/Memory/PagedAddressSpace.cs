using System.Runtime.CompilerServices;
using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

/// <summary>
/// An address space under x86-64 paging: a <see cref="PageTable"/> in physical memory, walked by the
/// <see cref="Mmu"/>. The lower canonical half belongs to the user; the upper half maps one supervisor-only
/// kernel page, so a user access there shows a real U/S fault.
/// </summary>
public sealed partial class PagedAddressSpace : AddressSpace
{
    /// <summary>Lowest user address (the first 64 KiB stay unmapped to catch null pointers).</summary>
    public const ulong UserBase = 0x10000;

    /// <summary>One past the highest user address: the top of the lower canonical half.</summary>
    public const ulong UserTop = 0x0000_8000_0000_0000;

    /// <summary>Where the kernel lets the kernel choose addresses for anonymous maps.</summary>
    public const ulong MapBase = 0x0000_1000_0000;

    /// <summary>
    /// Start of the RPC window (PML4 slot 254, 512 GiB): RPC SHARED buffers live here, at addresses unique across
    /// all processes, so a grant can show a caller's SHARED buffers to a callee at the addresses the caller passes.
    /// Ordinary maps never land here.
    /// </summary>
    public const ulong RpcWindowBase = 0x0000_7F00_0000_0000;

    /// <summary>One past the end of the RPC window.</summary>
    public const ulong RpcWindowTop = 0x0000_7F80_0000_0000;

    /// <summary>The PML4 slot of the RPC window.</summary>
    internal const int RpcWindowSlot = 254;

    /// <summary>
    /// Top of a program's main stack (<see cref="MainStackAddress"/>): near the top of the user half, below the RPC
    /// window's neighbourhood, as Linux puts it just under 0x7FFF_FFFF_F000.
    /// </summary>
    public const ulong MainStackTop = 0x7FFF_FFFF_0000;

    /// <summary>Where the kernel maps its own (supervisor-only) page in every address space.</summary>
    public const ulong KernelBase = 0xFFFF_8000_0000_0000;

    private readonly PageTable _table;
    private readonly Mmu _mmu;
    private ulong _root;

    // Never a frame-aligned address, so never equal to the MMU's root.
    private const ulong DeadRoot = 1;

    private PagedAddressSpace(Machine machine, FrameAllocator frames, PageTable table) : base(machine, frames)
    {
        _table = table;
        _mmu = machine.Mmu;
        _root = table.RootAddress;
    }

    /// <summary>Creates an empty address space, or returns null when frames run out.</summary>
    public static PagedAddressSpace? TryCreate(Machine machine, FrameAllocator frames)
    {
        PageTable? table = PageTable.TryCreate(machine.Memory, frames);
        if (table is null) return null;
        // Frame 0 is the kernel's: mapped supervisor-only and global (the same in every space, so its translation may
        // outlive a CR3 load), not counted as a user mapping.
        if (!table.SetLeaf(KernelBase, Pte.Make(0, Pte.Present | Pte.Writable | Pte.Global | Pte.NoExecute)))
        {
            table.FreeTables();
            return null;
        }
        return new PagedAddressSpace(machine, frames, table);
    }

    /// <summary>The root TryTranslate compares with the MMU's (DeadRoot once destroyed): the x86 translator's hit path does too.</summary>
    internal ulong LoadedRoot => _root;

    /// <summary>The page table (for dumps and IPC).</summary>
    public PageTable PageTable => _table;

    /// <inheritdoc />
    public override ulong UserLow => UserBase;

    /// <inheritdoc />
    public override ulong UserHigh => UserTop;

    // Roots of RPC grant tables built over this space (they share its lower tables): while one is loaded, changes
    // here must be shot down in the TLB too.
    private List<ulong>? _grantRoots;

    // A destroyed space's root frame may already be another space's PML4: it is never "loaded" again.
    private bool IsActive => !IsDestroyed && (Machine.Mmu.Root == _table.RootAddress || (_grantRoots is { } g && g.Contains(Machine.Mmu.Root)));

    internal void AddGrantRoot(ulong root) => (_grantRoots ??= []).Add(root);

    internal void RemoveGrantRoot(ulong root) => _grantRoots?.Remove(root);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override bool TryTranslate(ulong virtualAddress, int length, AccessKind access, out ulong physicalAddress, out MemoryFault fault)
    {
        // A destroyed space's _root is DeadRoot, which no MMU ever holds: it falls to the slow path and faults.
        return _mmu.Root == _root
            ? _mmu.Translate(virtualAddress, access, out physicalAddress, out fault)
            : TranslateInactive(virtualAddress, access, out physicalAddress, out fault);
    }

    private protected override bool CheckPage(ulong virtualAddress, AccessKind access, out MemoryFault fault)
    {
        if (!IsDestroyed) return _mmu.Check(_table.RootAddress, virtualAddress, access, out fault);
        fault = new(virtualAddress, access, FaultReason.NotPresent);
        return false;
    }

    private bool TranslateInactive(ulong va, AccessKind access, out ulong pa, out MemoryFault fault)
    {
        if (IsDestroyed) { pa = 0; fault = new(va, access, FaultReason.NotPresent); return false; }
        return Machine.Mmu.TranslateUncached(_table.RootAddress, va, access, out pa, out fault);
    }

    /// <inheritdoc />
    public override void Activate()
    {
        // A dying process's threads still get the CPU to unwind; they must not see a freed table.
        if (IsDestroyed) Machine.Mmu.UnloadRoot();
        else SwitchTo(Machine.Mmu, _table.RootAddress);
    }

    /// <summary>
    /// The kernel's CR3 switch: no CR3 write when <paramref name="root"/> is already loaded (another thread of the same
    /// space: Linux's switch_mm skips it too, since a reload would flush the TLB for nothing); otherwise load it,
    /// and the switch path, which runs in the kernel half, reads the kernel page. That page is global, so after the
    /// first switch its translation survives every CR3 load (Tlb.GlobalKept counts it) instead of costing a walk.
    /// </summary>
    internal static void SwitchTo(Mmu mmu, ulong root)
    {
        if (mmu.Root == root) return;
        mmu.LoadRoot(root);
        mmu.TranslateSupervisor(KernelBase, AccessKind.Read, out _, out _);
    }

    /// <inheritdoc />
    public override void Destroy()
    {
        if (IsDestroyed) return;
        if (IsActive) Machine.Mmu.UnloadRoot();
        foreach ((ulong _, ulong frame) in UserFrames()) Frames.Release(frame);
        _table.FreeTables();
        Vmas.Clear();
        IsDestroyed = true;
        _root = DeadRoot;
    }

    /// <inheritdoc />
    public override IEnumerable<(ulong VirtualAddress, ulong Frame)> UserFrames()
    {
        if (IsDestroyed) yield break;
        foreach ((ulong va, ulong entry) in _table.Leaves())
            if (va < UserTop && (entry & (Pte.Present | Pte.SoftKept)) != 0) yield return (va, Pte.FrameOf(entry));
    }

    /// <inheritdoc />
    public override string DumpHardware() => IsDestroyed ? "(address space destroyed: its table frames are free)\n" : _table.Dump();

    /// <summary>The leaf entry mapping <paramref name="virtualAddress"/> (0 when none), for tests and dumps.</summary>
    public ulong QueryEntry(ulong virtualAddress) => IsDestroyed ? 0 : _table.Query(virtualAddress);

    /// <summary>The PTE flags that enforce <paramref name="protection"/> for a user page.</summary>
    public static ulong FlagsFor(Protection protection)
    {
        if (protection == Protection.None) return Pte.SoftKept;
        ulong flags = Pte.Present | Pte.User;
        if ((protection & Protection.Write) != 0) flags |= Pte.Writable;
        if ((protection & Protection.Execute) == 0) flags |= Pte.NoExecute;
        return flags;
    }

    /// <summary>
    /// Maps existing frames at [address, address + frames.Count pages) with one reference each taken by the caller.
    /// Used by IPC to install pages; returns OutOfMemory (mapping nothing) when a table frame cannot be had, and
    /// BadAddress when the space is destroyed (its table frames are freed and may belong to someone else).
    /// </summary>
    public ErrorCode MapFrames(ulong address, IReadOnlyList<ulong> frames, Protection protection, ulong extraFlags, string name)
    {
        if (IsDestroyed) return ErrorCode.BadAddress;
        ulong size = (ulong)frames.Count * PageSize;
        if (!InUserRange(address, size) || Vmas.Overlaps(address, address + size)) return ErrorCode.AlreadyMapped;
        ulong flags = FlagsFor(protection) | extraFlags;
        for (int i = 0; i < frames.Count; i++)
        {
            if (_table.SetLeaf(address + (ulong)i * PageSize, Pte.Make(frames[i], flags))) continue;
            for (int j = 0; j < i; j++) _table.ClearLeaf(address + (ulong)j * PageSize);
            return ErrorCode.OutOfMemory;
        }
        Vmas.Insert(new Vma(address, address + size, protection, name));
        return ErrorCode.Ok;
    }

    /// <inheritdoc />
    public override ulong MainStackAddress(ulong size) => MainStackTop - RoundUp(size);

    /// <inheritdoc />
    public override bool CanTakeRegions(int areas) => true;

    /// <inheritdoc />
    public override bool CanShareWithItself => true;

    /// <summary>A free, page-aligned range of <paramref name="size"/> bytes at or above <see cref="MapBase"/>, or 0.</summary>
    public ulong FindFreeRange(ulong size) => Vmas.FindGap(size, MapBase, RpcWindowBase);

    private protected override bool IsReserved(ulong start, ulong end) => start < RpcWindowTop && RpcWindowBase < end;

    private protected override ErrorCode MapCore(ulong address, ulong size, Protection protection, string name, out ulong mapped)
    {
        mapped = 0;
        if (address == 0)
        {
            address = FindFreeRange(size);
            if (address == 0) return ErrorCode.OutOfMemory;
        }
        ulong pages = size / PageSize;
        if (pages > (ulong)Frames.FreeCount) return ErrorCode.OutOfMemory;
        var frames = new List<ulong>((int)pages);
        for (ulong i = 0; i < pages; i++)
        {
            if (Frames.TryAllocate(FrameUse.User, out ulong f)) { frames.Add(f); continue; }
            foreach (ulong g in frames) Frames.Release(g);
            return ErrorCode.OutOfMemory;
        }
        ErrorCode result = MapFrames(address, frames, protection, 0, name);
        if (result != ErrorCode.Ok)
        {
            foreach (ulong g in frames) Frames.Release(g);
            return result;
        }
        mapped = address;
        return ErrorCode.Ok;
    }

    /// <inheritdoc />
    public override bool HasLargePages => true;

    // Large pages: each 2 MiB page is 512 contiguous frames, 2 MiB-aligned in physical memory too (a PDE holds the
    // address of the first; bits 20..13 must be zero). The frames are counted one by one like any user frame.
    private protected override ErrorCode MapLargeCore(ulong address, ulong size, Protection protection, string name, out ulong mapped)
    {
        mapped = 0;
        if (address == 0)
        {
            address = Vmas.FindGap(size, MapBase, RpcWindowBase, LargePageSize);
            if (address == 0) return ErrorCode.OutOfMemory;
        }
        const int framesPerPage = (int)(LargePageSize / PageSize);
        ulong flags = FlagsFor(protection);
        // A guard page of 2 MiB would need a non-present PDE that keeps its frames: not worth it, 4 KiB ones do.
        if ((flags & Pte.Present) == 0) return ErrorCode.InvalidArgument;
        var firsts = new List<ulong>();
        for (ulong va = address; va < address + size; va += LargePageSize)
        {
            bool got = Frames.TryAllocateContiguous(framesPerPage, framesPerPage, FrameUse.User, out ulong first);
            if (got && _table.SetLarge(va, 1, Pte.Make(first, flags)))
            {
                firsts.Add(first);
                continue;
            }
            // Out of frames (for the page, its table or its deposit): undo every page mapped so far.
            if (got) ReleaseRun(first, framesPerPage);
            for (int i = 0; i < firsts.Count; i++)
            {
                _table.ClearLarge(address + (ulong)i * LargePageSize);
                ReleaseRun(firsts[i], framesPerPage);
            }
            return ErrorCode.OutOfMemory;
        }
        Vmas.Insert(new Vma(address, address + size, protection, name));
        mapped = address;
        return ErrorCode.Ok;
    }

    private void ReleaseRun(ulong first, int count)
    {
        for (ulong f = 0; f < (ulong)count; f++) Frames.Release(first + f);
    }

    private protected override ErrorCode UnmapCore(ulong start, ulong end)
    {
        foreach (Vma v in Vmas.Carve(start, end)) Vmas.Remove(v);
        bool active = IsActive;
        for (ulong va = start; va < end; va += PageSize)
        {
            ulong old = _table.ClearLeaf(va);
            if ((old & (Pte.Present | Pte.SoftKept)) != 0) Frames.Release(Pte.FrameOf(old));
            // The shootdown rule: a translation the TLB still holds would let the process use a freed frame.
            if (active) Machine.Mmu.Tlb.Invalidate(va);
        }
        return ErrorCode.Ok;
    }

    private protected override ErrorCode ProtectCore(ulong start, ulong end, Protection protection)
    {
        foreach (Vma v in Vmas.Carve(start, end)) v.Protection = protection;
        bool active = IsActive;
        ulong flags = FlagsFor(protection);
        const ulong keep = Pte.AddressMask | Pte.Accessed | Pte.Dirty | Pte.SoftShared | Pte.SoftCopyOnWrite;
        for (ulong va = start; va < end; va += PageSize)
        {
            ulong old = _table.Query(va);
            ulong leaf = (old & keep) | flags;
            // A copy-on-write page stays read-only in the PTE: the first write must still copy it.
            if ((old & Pte.SoftCopyOnWrite) != 0) leaf &= ~Pte.Writable;
            _table.SetLeaf(va, leaf);
            if (active) Machine.Mmu.Tlb.Invalidate(va);
        }
        return ErrorCode.Ok;
    }
}
