using MicroKernel.Invariants;
using MicroKernel.Memory;
using MicroKernel.Processes;

namespace MicroKernel.Ipc.Shmem;

// The family's invariants. They read the VMAs; that the page tables, the TLB and the MPU regions enforce what the
// VMAs say is the memory invariants' job (page-tables-match-vmas, tlb-coherence, mpu-regions), so together they
// cover the hardware too.
internal sealed partial class ShmemIpc
{
    /// <summary>The family's invariants: exclusive ownership and segment teardown.</summary>
    public IEnumerable<Invariant> Invariants =>
    [
        new("shmem-exclusive-ownership",
            "an owned segment is read/write for its owner alone and no access for the other side; a segment in flight is no access for both (unsafe: read/write for both)",
            OwnershipProblems),
        new("shmem-teardown",
            "every segment area mapped in a live space belongs to a live segment of an open connection between two running processes, at the address the segment records (a segment made to survive its peer: mapped in the survivor alone)",
            TeardownProblems),
    ];

    private IEnumerable<string> OwnershipProblems()
    {
        foreach (Segment s in _segments.Values)
            foreach (Process p in (Process[])[s.Connection.A, s.Connection.B])
            {
                if (ReferenceEquals(p, s.Connection.Exited)) continue; // the teardown invariant checks it maps nothing
                Vma? v = p.AddressSpace.SegmentArea(s.AddressIn(p));
                if (v is null) continue; // the teardown invariant reports a missing area
                Protection want = s.Unsafe || (ReferenceEquals(p, s.Owner) && s.State != SegmentState.InFlight) ? Protection.ReadWrite : Protection.None;
                if (v.Protection != want)
                    yield return $"{p} maps {s.Describe()} {v.Protection.ToRwx()}, where it should be {want.ToRwx()}";
            }
    }

    private IEnumerable<string> TeardownProblems()
    {
        foreach (Segment s in _segments.Values)
        {
            ShmemConnection c = s.Connection;
            if (!_connections.ContainsKey(c.Id)) yield return $"{s.Describe()} outlives its connection";
            foreach (Process p in (Process[])[c.A, c.B])
            {
                if (ReferenceEquals(p, c.Exited))
                {
                    if (!s.Survives) yield return $"{s.Describe()} outlived the exit of {p}";
                    else if (!p.AddressSpace.IsDestroyed && p.AddressSpace.SegmentArea(s.AddressIn(p)) is not null)
                        yield return $"{s.Describe()} is still mapped in {p}, which exited";
                    continue;
                }
                if (p.State != ProcessState.Running) yield return $"{s.Describe()} is still live, but {p} is {p.State.ToString().ToLowerInvariant()}";
                else if (p.AddressSpace.SegmentArea(s.AddressIn(p)) is not { } v || v.Segment != s.Id)
                    yield return $"{s.Describe()} is not mapped in {p} at 0x{s.AddressIn(p):x}";
            }
        }
        foreach (Process p in _kernel.Processes)
        {
            if (p.AddressSpace.IsDestroyed) continue;
            foreach (Vma v in p.AddressSpace.Areas)
            {
                if (v.Segment == 0) continue;
                if (!_segments.TryGetValue(v.Segment, out Segment? s))
                    yield return $"{p} still maps shmem segment {v.Segment} at 0x{v.Start:x}, which was torn down ({v.Length / AddressSpace.PageSize} pages whose frames are not freed)";
                else if (!s.Connection.Has(p) || s.AddressIn(p) != v.Start)
                    yield return $"{p} maps {s.Describe()} at 0x{v.Start:x}, which is not where the segment says";
            }
        }
    }

    /// <summary>
    /// Test hook: forgets a segment without unmapping it (the bug the teardown invariant exists for): its areas and
    /// frames stay behind.
    /// </summary>
    internal void ForgetSegment(int id)
    {
        if (!_segments.Remove(id, out Segment? s)) return;
        s.Connection.Segments.Remove(id);
    }
}
