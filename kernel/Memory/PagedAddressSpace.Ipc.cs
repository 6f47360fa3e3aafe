using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

// Page transfer between address spaces (page-send IPC) and copy-on-write, RPC SHARED buffers and grants: frames are
// remapped, never moved, so any page can go anywhere and a duplicate costs nothing until someone writes.
public sealed partial class PagedAddressSpace
{
    private protected override ErrorCode MapSharedCore(ulong size, RpcWindow window, out ulong mapped)
    {
        mapped = 0;
        if (!window.Fits(size)) return ErrorCode.OutOfMemory;
        ErrorCode e = MapCore(window.Next, size, Protection.ReadWrite, "rpc shared", out mapped);
        if (e == ErrorCode.Ok) window.Take(size);
        return e;
    }

    internal override ErrorCode TryCreateGrant(AddressSpace caller, out GrantSpace? grant, out int regionsNeeded)
    {
        grant = null;
        regionsNeeded = 0;
        // Every space of one kernel uses the same model; a foreign caller is a kernel bug refused, not a crash.
        if (caller is not PagedAddressSpace pagedCaller) return ErrorCode.NotPermitted;
        ErrorCode e = PagedGrantSpace.TryCreate(this, pagedCaller, out PagedGrantSpace? g);
        grant = g;
        return e;
    }

    internal override ErrorCode CheckSendRange(ulong address, ulong pages, bool needWrite)
    {
        for (ulong i = 0; i < pages; i++)
        {
            ulong va = address + i * PageSize;
            Vma? v = Vmas.Find(va);
            if (v is null) return ErrorCode.NotMapped;
            if (v.Segment != 0 || (v.Protection & Protection.Read) == 0 || (needWrite && (v.Protection & Protection.Write) == 0)) return ErrorCode.NotPermitted;
        }
        return ErrorCode.Ok;
    }

    internal override PageRun DetachPages(ulong address, ulong pages)
    {
        Changed();
        ulong end = address + pages * PageSize;
        foreach (Vma v in Vmas.Carve(address, end)) Vmas.Remove(v);
        var old = new ulong[pages];
        _table.ClearLeaves(address, old);
        var frames = new ulong[pages];
        bool cow = false;
        for (ulong i = 0; i < pages; i++)
        {
            frames[i] = Pte.FrameOf(old[i]);
            cow |= (old[i] & Pte.SoftCopyOnWrite) != 0;
        }
        InvalidateRange(address, pages);
        return new PageRun(frames, cow);
    }

    internal override ErrorCode ReferencePages(ulong address, ulong pages, out PageRun run)
    {
        run = null!;
        // A copy-on-write page must become this space's own before another space may write the frame.
        for (ulong i = 0; i < pages; i++)
        {
            ulong va = address + i * PageSize;
            if ((_table.Query(va) & Pte.SoftCopyOnWrite) != 0 && !BreakCopyOnWrite(va)) return ErrorCode.OutOfMemory;
        }
        var frames = new ulong[pages];
        for (ulong i = 0; i < pages; i++)
        {
            frames[i] = Pte.FrameOf(_table.Query(address + i * PageSize));
            Frames.AddRef(frames[i]);
        }
        run = new PageRun(frames, copyOnWrite: false);
        return ErrorCode.Ok;
    }

    internal override ErrorCode DuplicatePages(ulong address, ulong pages, bool senderKeepsWrite, int copies, out PageRun[] runs)
    {
        Changed();
        runs = [];
        // Frames another space may write directly (shared, not copy-on-write) are copied now: copy-on-write only
        // guards writes made through copy-on-write mappings.
        var eager = new Dictionary<ulong, ulong[]>();
        for (ulong i = 0; i < pages; i++)
        {
            ulong va = address + i * PageSize, entry = _table.Query(va), frame = Pte.FrameOf(entry);
            if (Frames.RefCount(frame) == 1 || (entry & Pte.SoftCopyOnWrite) != 0) continue;
            var copiesOfPage = new ulong[copies];
            for (int c = 0; c < copies; c++)
            {
                if (Frames.TryAllocate(FrameUse.User, out copiesOfPage[c])) { Machine.Memory.CopyFrame(frame, copiesOfPage[c]); continue; }
                foreach (ulong f in eager.Values.SelectMany(x => x).Concat(copiesOfPage.Take(c))) Frames.Release(f);
                return ErrorCode.OutOfMemory;
            }
            eager[i] = copiesOfPage;
        }
        ulong end = address + pages * PageSize;
        if (!senderKeepsWrite)
            foreach (Vma v in Vmas.Carve(address, end)) v.Protection &= ~Protection.Write;
        var frameLists = new ulong[copies][];
        for (int c = 0; c < copies; c++) frameLists[c] = new ulong[pages];
        bool active = IsActive;
        for (ulong i = 0; i < pages; i++)
        {
            ulong va = address + i * PageSize, entry = _table.Query(va), frame = Pte.FrameOf(entry);
            if (eager.TryGetValue(i, out ulong[]? own))
            {
                for (int c = 0; c < copies; c++) frameLists[c][i] = own[c];
            }
            else
            {
                for (int c = 0; c < copies; c++)
                {
                    Frames.AddRef(frame);
                    frameLists[c][i] = frame;
                }
                // The sender writes through copy-on-write from now on: a page it may not write now (read-only, or
                // write given up) is marked too, so a protect that makes it writable again still copies first.
                _table.SetLeaf(va, (entry & ~Pte.Writable) | Pte.SoftCopyOnWrite);
            }
            if (!senderKeepsWrite) _table.SetLeaf(va, _table.Query(va) & ~Pte.Writable);
            if (active) Machine.Mmu.Tlb.Invalidate(va);
        }
        runs = frameLists.Select(f => new PageRun(f, copyOnWrite: true)).ToArray();
        return ErrorCode.Ok;
    }

    internal override ErrorCode AttachPages(PageRun run, Protection protection, string name, out ulong address)
    {
        address = FindFreeRange((ulong)run.Count * PageSize);
        if (address == 0) return ErrorCode.OutOfMemory;
        // A copy is copy-on-write even when attached read-only: a protect that makes it writable must not let a write
        // reach the frames the sender (or another receiver) still maps.
        ulong flags = FlagsFor(protection);
        if (run.CopyOnWrite) flags = (flags & ~Pte.Writable) | Pte.SoftCopyOnWrite;
        var entries = new ulong[run.Count];
        for (int i = 0; i < run.Count; i++) entries[i] = Pte.Make(run.Frames[i], flags);
        int written = _table.SetLeaves(address, entries);
        if (written < entries.Length)
        {
            _table.ClearLeaves(address, new ulong[written]);
            return ErrorCode.OutOfMemory;
        }
        Vmas.Insert(new Vma(address, address + (ulong)run.Count * PageSize, protection, name));
        Changed();
        return ErrorCode.Ok;
    }

    // The shootdown after changing many PTEs of the loaded space: past a few dozen pages, one flush is cheaper than
    // invalidating page by page (Linux draws the line at 33 pages too).
    private void InvalidateRange(ulong address, ulong pages)
    {
        if (!IsActive) return;
        if (pages > 32) Machine.Mmu.Tlb.Flush();
        else for (ulong i = 0; i < pages; i++) Machine.Mmu.Tlb.Invalidate(address + i * PageSize);
    }

    internal override bool TryResolveWriteFault(ulong virtualAddress)
    {
        ulong va = virtualAddress & ~(PageSize - 1);
        Vma? v = Vmas.Find(va);
        return v is not null && (v.Protection & Protection.Write) != 0 && (_table.Query(va) & Pte.SoftCopyOnWrite) != 0 && BreakCopyOnWrite(va);
    }

    // Gives this space a private, writable frame for a copy-on-write page (or just write access when it is the
    // last holder of the frame). False when no frame is free: the write then faults.
    private bool BreakCopyOnWrite(ulong va)
    {
        ulong entry = _table.Query(va), frame = Pte.FrameOf(entry);
        ulong flags = (entry & ~Pte.AddressMask & ~Pte.SoftCopyOnWrite) | Pte.Writable;
        if (Frames.RefCount(frame) == 1)
        {
            _table.SetLeaf(va, Pte.Make(frame, flags));
        }
        else
        {
            if (!Frames.TryAllocate(FrameUse.User, out ulong copy)) return false;
            Machine.Memory.CopyFrame(frame, copy);
            Frames.Release(frame);
            _table.SetLeaf(va, Pte.Make(copy, flags));
        }
        if (IsActive) Machine.Mmu.Tlb.Invalidate(va);
        Changed();
        CopyOnWriteBreaks++;
        return true;
    }

    /// <summary>How many copy-on-write faults this space resolved (for tests and statistics).</summary>
    public long CopyOnWriteBreaks { get; private set; }
}
