using System.Runtime.CompilerServices;
using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

/// <summary>
/// An RPC grant under paging: a page table of its own (one PML4 frame) whose entries point into the callee's
/// lower-level tables, so the callee's memory is seen live and unchanged, except the RPC window slot
/// (<see cref="PagedAddressSpace.RpcWindowBase"/>), which gets tables of the grant's own mapping the callee's and the
/// caller's SHARED buffers at their usual addresses. Loading it is a CR3 switch (the TLB is flushed on the way in
/// and again on the way out), so no translation of the caller's private memory can be reached, and none made during
/// the call survives it.
/// </summary>
public sealed class PagedGrantSpace : GrantSpace
{
    // Never a frame-aligned address, so never equal to the MMU's root.
    private const ulong DeadRoot = 1;

    private readonly PagedAddressSpace _callee;
    private readonly Mmu _mmu;
    private readonly PageTable _table;
    private readonly List<PageRun> _runs = [];
    private ulong _root;
    private int _sharedPages;
    private bool _released;

    private PagedGrantSpace(PagedAddressSpace callee, AddressSpace caller, PageTable table) : base(callee, caller)
    {
        _callee = callee;
        _mmu = callee.Machine.Mmu;
        _table = table;
        _root = table.RootAddress;
    }

    /// <summary>
    /// Builds the grant of a call from <paramref name="caller"/> into <paramref name="callee"/>. OutOfMemory (and
    /// nothing built) when a table frame or a private copy of a copy-on-write SHARED page cannot be had.
    /// </summary>
    internal static ErrorCode TryCreate(PagedAddressSpace callee, PagedAddressSpace caller, out PagedGrantSpace? grant)
    {
        grant = null;
        if (callee.IsDestroyed) return ErrorCode.BadAddress;
        PageTable? table = PageTable.TryCreate(callee.Machine.Memory, callee.Frames);
        if (table is null) return ErrorCode.OutOfMemory;
        var g = new PagedGrantSpace(callee, caller, table);
        // Shared, not copied: the callee's lower tables are kept until it dies, so these entries stay valid.
        for (int slot = 0; slot < 512; slot++)
            if (slot != PagedAddressSpace.RpcWindowSlot) table.SetRootEntry(slot, callee.PageTable.RootEntry(slot));
        ErrorCode e = g.AddShared(callee);
        if (e == ErrorCode.Ok && !ReferenceEquals(caller, callee)) e = g.AddShared(caller);
        if (e != ErrorCode.Ok)
        {
            g.Release();
            return e;
        }
        callee.PageTable.RootEntryAdded += g.OnRootEntryAdded;
        callee.AddGrantRoot(table.RootAddress);
        grant = g;
        return ErrorCode.Ok;
    }

    /// <summary>The grant's own page table (its PML4 and RPC-window tables; the rest belong to the callee).</summary>
    public PageTable PageTable => _table;

    /// <inheritdoc />
    public override int SharedPages => _sharedPages;

    /// <inheritdoc />
    public override int MpuRegions => 0;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override bool TryTranslate(ulong virtualAddress, int length, AccessKind access, out ulong physicalAddress, out MemoryFault fault) =>
        _mmu.Root == _root
            ? _mmu.Translate(virtualAddress, access, out physicalAddress, out fault)
            : TranslateInactive(virtualAddress, access, out physicalAddress, out fault);

    private protected override bool CheckPage(ulong virtualAddress, AccessKind access, out MemoryFault fault)
    {
        if (!IsRevoked) return _mmu.Check(_table.RootAddress, virtualAddress, access, out fault);
        fault = new(virtualAddress, access, FaultReason.NotPresent);
        return false;
    }

    private bool TranslateInactive(ulong va, AccessKind access, out ulong pa, out MemoryFault fault)
    {
        if (IsRevoked) { pa = 0; fault = new(va, access, FaultReason.NotPresent); return false; }
        return _mmu.TranslateUncached(_table.RootAddress, va, access, out pa, out fault);
    }

    /// <inheritdoc />
    public override void Activate()
    {
        if (IsRevoked) _mmu.UnloadRoot();
        else PagedAddressSpace.SwitchTo(_mmu, _table.RootAddress);
    }

    /// <inheritdoc />
    public override string DumpHardware() => IsRevoked
        ? "(RPC grant revoked)\n"
        : $"RPC grant: callee tables below, RPC window slot {PagedAddressSpace.RpcWindowSlot} holds {SharedPages} SHARED pages\n" + _table.Dump();

    // A write to a copy-on-write page of the callee: the callee gets its own frame, as if it wrote it itself.
    internal override bool TryResolveWriteFault(ulong virtualAddress) =>
        !IsRevoked && (virtualAddress < PagedAddressSpace.RpcWindowBase || virtualAddress >= PagedAddressSpace.RpcWindowTop)
        && _callee.TryResolveWriteFault(virtualAddress);

    internal override void Revoke()
    {
        if (IsRevoked) return;
        IsRevoked = true;
        _callee.PageTable.RootEntryAdded -= OnRootEntryAdded;
        _callee.RemoveGrantRoot(_table.RootAddress);
        // No walk may reach the callee's tables any more: they are freed when it dies.
        for (int slot = 0; slot < 512; slot++)
            if (slot != PagedAddressSpace.RpcWindowSlot) _table.SetRootEntry(slot, 0);
        if (_mmu.Root == _table.RootAddress) _mmu.UnloadRoot();
        _root = DeadRoot;
    }

    internal override void Release()
    {
        if (_released) return;
        Revoke();
        _released = true;
        foreach (PageRun run in _runs) _callee.ReleaseRun(run);
        _runs.Clear();
        _table.FreeTables();
    }

    internal override int PinnedReferences(ulong frame)
    {
        int n = 0;
        foreach (PageRun run in _runs)
            foreach (ulong f in run.Frames)
                if (f == frame) n++;
        return n;
    }

    // Maps every SHARED buffer of `space` into the window, holding a reference to each frame for the call.
    private ErrorCode AddShared(AddressSpace space)
    {
        foreach (Vma v in space.SharedAreas.ToList())
        {
            ulong pages = v.Length / PageSize;
            ErrorCode e = space.ReferencePages(v.Start, pages, out PageRun run);
            if (e != ErrorCode.Ok) return e;
            ulong flags = PagedAddressSpace.FlagsFor(v.Protection);
            var entries = new ulong[run.Count];
            for (int i = 0; i < run.Count; i++) entries[i] = Pte.Make(run.Frames[i], flags);
            if (_table.SetLeaves(v.Start, entries) < entries.Length)
            {
                _callee.ReleaseRun(run);
                return ErrorCode.OutOfMemory;
            }
            _runs.Add(run);
            _sharedPages += run.Count;
        }
        return ErrorCode.Ok;
    }

    // The callee grew a new top-level table during the call (it mapped memory somewhere new): show it here too.
    private void OnRootEntryAdded(int slot, ulong entry)
    {
        if (!IsRevoked && slot != PagedAddressSpace.RpcWindowSlot) _table.SetRootEntry(slot, entry);
    }
}
