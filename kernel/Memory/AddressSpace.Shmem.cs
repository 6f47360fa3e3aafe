using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

// What owned shared memory (kernel/Ipc/Shmem, docs/shmem.md) asks of a space: one area per segment, the same frames
// in both spaces of the pair, and an access that flips with ownership. Each model keeps its own rules: paging puts the
// area anywhere and turns access off with a not-present PTE that keeps the frame; an MPU gives the segment one block
// (a power of two, size-aligned on ARMv7-M) that both processes see at the same address, each through a region of
// its own budget, privileged-only for the side that does not own it.
public abstract partial class AddressSpace
{
    /// <summary>
    /// The owner's side of a new segment: <paramref name="length"/> bytes (rounded up to pages) of zeroed read/write
    /// memory at an address the space picks, marked as segment <paramref name="segment"/>. OutOfMemory, NoMpuRegion
    /// or BadAddress (a destroyed space) change nothing.
    /// </summary>
    internal ErrorCode MapSegment(ulong length, int segment, out ulong address)
    {
        ErrorCode e = Map(0, length, Protection.ReadWrite, SegmentName(segment), out address);
        if (e == ErrorCode.Ok) Vmas.Find(address)!.Segment = segment;
        return e;
    }

    /// <summary>
    /// The peer's side: maps the frames of this space's segment area at <paramref name="address"/> into
    /// <paramref name="peer"/> with <paramref name="protection"/> (one more reference to each frame). On error nothing
    /// changes in either space.
    /// </summary>
    internal ErrorCode ShareSegment(ulong address, AddressSpace peer, Protection protection, out ulong peerAddress)
    {
        peerAddress = 0;
        Vma v = SegmentArea(address) ?? throw new InvalidOperationException($"kernel bug: no segment area at 0x{address:x}");
        if (peer.IsDestroyed) return ErrorCode.BadAddress;
        if (!peer.CanTakeRegions(1)) return ErrorCode.NoMpuRegion;
        ErrorCode e = ReferencePages(v.Start, v.Length / PageSize, out PageRun run);
        if (e != ErrorCode.Ok) return e;
        e = peer.AttachPages(run, protection, v.Name, out peerAddress);
        if (e != ErrorCode.Ok)
        {
            ReleaseRun(run);
            return e;
        }
        peer.Vmas.Find(peerAddress)!.Segment = v.Segment;
        return ErrorCode.Ok;
    }

    /// <summary>The area of a segment that starts at <paramref name="address"/>, or null.</summary>
    internal Vma? SegmentArea(ulong address) => IsDestroyed ? null : Vmas.Find(address) is { Segment: > 0 } v && v.Start == address ? v : null;

    /// <summary>
    /// Gives the segment area at <paramref name="address"/> <paramref name="protection"/>: the page-table entries or
    /// the region change, and the TLB forgets every page of it before this returns (the shootdown rule).
    /// </summary>
    internal void SetSegmentAccess(ulong address, Protection protection)
    {
        if (SegmentArea(address) is not { } v) return;
        Changed();
        ProtectCore(v.Start, v.End, protection);
    }

    /// <summary>Unmaps the segment area at <paramref name="address"/> and drops its references to the frames.</summary>
    internal void UnmapSegment(ulong address)
    {
        if (SegmentArea(address) is not { } v) return;
        Changed();
        UnmapCore(v.Start, v.End);
    }

    /// <summary>True when [start, end) touches a segment area.</summary>
    private bool TouchesSegment(ulong start, ulong end)
    {
        foreach (Vma v in Vmas.Areas)
            if (v.Segment != 0 && v.Start < end && start < v.End) return true;
        return false;
    }

    /// <summary>The name a segment's area has in maps dumps and fault reports.</summary>
    internal static string SegmentName(int segment) => string.Create(CultureInfo.InvariantCulture, $"shmem segment {segment}");
}
