using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

// The page-transfer strategy page-send IPC calls: each protection model implements it its own way (paging remaps
// frames and shares them copy-on-write, PagedAddressSpace.Ipc.cs; an MPU moves whole region-aligned blocks and
// copies eagerly, MpuAddressSpace.Ipc.cs). The IPC code asks these questions and never which model it talks to.
public abstract partial class AddressSpace
{
    /// <summary>
    /// Can [address, address + pages) be sent? Ok, or NotMapped (a page is missing), NotPermitted (a page may not be
    /// read, or written when <paramref name="needWrite"/>), InvalidArgument (MPU: not exactly one whole VMA).
    /// </summary>
    internal abstract ErrorCode CheckSendRange(ulong address, ulong pages, bool needWrite);

    /// <summary>Move: unmaps the pages without freeing them; their references go to the returned run.</summary>
    internal abstract PageRun DetachPages(ulong address, ulong pages);

    /// <summary>
    /// Share: one more reference to each frame, for a receiver that will map the same frames. Fails (OutOfMemory)
    /// only when a copy-on-write page had to be made private first.
    /// </summary>
    internal abstract ErrorCode ReferencePages(ulong address, ulong pages, out PageRun run);

    /// <summary>
    /// Duplicate: <paramref name="copies"/> runs that each receiver maps as its own copy (copy-on-write under paging,
    /// eager copies under an MPU). Without <paramref name="senderKeepsWrite"/> the sender's pages become read-only.
    /// Changes nothing and returns OutOfMemory when frames run out.
    /// </summary>
    internal abstract ErrorCode DuplicatePages(ulong address, ulong pages, bool senderKeepsWrite, int copies, out PageRun[] runs);

    /// <summary>Maps a run at an address the kernel picks; on error maps nothing (the run is still the caller's).</summary>
    internal abstract ErrorCode AttachPages(PageRun run, Protection protection, string name, out ulong address);

    /// <summary>Drops the references a run holds (an abandoned or undeliverable message).</summary>
    internal void ReleaseRun(PageRun run)
    {
        foreach (ulong frame in run.Frames) Frames.Release(frame);
    }

    /// <summary>
    /// Can this space take <paramref name="areas"/> more areas (received messages, maps) on top of those it has? Under
    /// paging always (areas cost page-table entries, not hardware slots); under an MPU each area takes one of the
    /// few regions, so the answer is its region budget.
    /// </summary>
    public abstract bool CanTakeRegions(int areas);

    /// <summary>
    /// Can a share of this space's own pages be delivered back to it (the same frames mapped twice)? Yes under
    /// paging (a second virtual range); no under an MPU, where an address is its frame, so there is no second place.
    /// </summary>
    public abstract bool CanShareWithItself { get; }
}
