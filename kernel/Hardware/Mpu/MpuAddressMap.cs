namespace MicroKernel.Hardware.Mpu;

/// <summary>
/// The MPU's answer for every address of the 32-bit space, compiled from the region registers into sorted,
/// non-overlapping segments. Inside one segment the same region (or no region, or an overlap) decides.
/// <para>
/// Why: real hardware compares an address with all regions in parallel. Software doing that per byte would make a
/// 4 KiB copy cost 4096 x 16 comparisons. With the segments, <see cref="Check"/> finds the segment of the first
/// byte (the one used last time, else a binary search) and then steps segment by segment, so a range costs one step
/// per region or sub-region boundary it crosses, and an 8-byte access inside one region costs one step.
/// </para>
/// The models rebuild the map lazily after their registers change (the kernel re-programs several regions on
/// every context switch, so building on each write would be wasted work), and in place: its arrays are reused, so a
/// context switch allocates nothing on the host in steady state (docs/streams.md, StreamAllocationTests).
/// </summary>
internal sealed class MpuAddressMap
{
    /// <summary>One past the last address of the 32-bit space the MPU models see.</summary>
    public const ulong AddressSpaceEnd = 1UL << 32;

    /// <summary><see cref="Segment.Region"/> when no enabled region covers the segment.</summary>
    public const int NoRegion = -1;

    /// <summary><see cref="Segment.Region"/> when two or more enabled regions cover it (ARMv8-M faults there).</summary>
    public const int Overlap = -2;

    /// <summary>How to decide when several enabled pieces cover one address.</summary>
    public enum Resolution
    {
        /// <summary>ARMv7-M: the highest-numbered region wins.</summary>
        HighestRegionWins,
        /// <summary>ARMv8-M: every access there faults with <see cref="FaultReason.RegionOverlap"/>.</summary>
        OverlapFaults,
    }

    /// <summary>
    /// An address range [<paramref name="Start"/>, <paramref name="End"/>) that region <paramref name="Region"/>
    /// covers: a whole region, or a run of its enabled ARMv7-M sub-regions.
    /// </summary>
    public readonly record struct Piece(ulong Start, ulong End, int Region, MpuAccess Access, bool ExecuteNever);

    /// <summary>A segment runs from <see cref="Start"/> to the next segment's start (or the end of the space).</summary>
    public readonly record struct Segment(ulong Start, int Region, MpuAccess Access, bool ExecuteNever);

    // The segments (the first _count entries) and the edges scratch: rebuilt in place, so the kernel's reprogramming
    // at every context switch allocates nothing once they have grown to the MPU's most pieces.
    private Segment[] _segments = [new Segment(0, NoRegion, MpuAccess.None, ExecuteNever: false)];
    private int _count = 1;
    private ulong[] _edges = [];

    // The segment the last check started in: consecutive accesses of a program are mostly in the same region.
    // A stale or torn value is harmless, because Find checks it before trusting it.
    private int _hint;

    /// <summary>The segments, sorted by start; the first starts at 0 and together they cover the whole space.</summary>
    public ReadOnlySpan<Segment> Segments => _segments.AsSpan(0, _count);

    /// <summary>A map of no region at all (every user access faults), until the first <see cref="Rebuild"/>.</summary>
    public MpuAddressMap() { }

    /// <summary>Compiles the pieces of the enabled regions into segments, in place of the previous ones.</summary>
    public void Rebuild(ReadOnlySpan<Piece> pieces, Resolution resolution)
    {
        // Between two consecutive piece edges, the set of covering pieces does not change, so deciding at the
        // left edge decides for the whole interval.
        int most = 2 * pieces.Length + 1;
        if (_edges.Length < most) _edges = new ulong[most];
        int n = 0;
        _edges[n++] = 0;
        foreach (Piece piece in pieces)
        {
            _edges[n++] = piece.Start;
            if (piece.End < AddressSpaceEnd)
                _edges[n++] = piece.End;
        }
        Span<ulong> edges = _edges.AsSpan(0, n);
        edges.Sort();

        if (_segments.Length < n) _segments = new Segment[n];
        _count = 0;
        for (int i = 0; i < edges.Length; i++)
        {
            if (i > 0 && edges[i] == edges[i - 1])
                continue; // a duplicate edge
            Segment segment = Resolve(pieces, edges[i], resolution);
            // Merge with the previous segment when the same region decides (e.g. two adjacent sub-regions).
            if (_count > 0 && _segments[_count - 1].Region == segment.Region)
                continue;
            _segments[_count++] = segment;
        }
        _hint = 0;
    }

    private static Segment Resolve(ReadOnlySpan<Piece> pieces, ulong address, Resolution resolution)
    {
        Piece? winner = null;
        int covering = 0;
        foreach (Piece piece in pieces)
        {
            if (address < piece.Start || address >= piece.End)
                continue;
            covering++;
            if (winner is null || piece.Region > winner.Value.Region)
                winner = piece;
        }

        if (winner is not { } w)
            return new Segment(address, NoRegion, MpuAccess.None, ExecuteNever: false);
        if (covering > 1 && resolution == Resolution.OverlapFaults)
            return new Segment(address, Overlap, MpuAccess.None, ExecuteNever: false);
        return new Segment(address, w.Region, w.Access, w.ExecuteNever);
    }

    /// <summary>
    /// Checks every byte of [<paramref name="address"/>, <paramref name="address"/> + <paramref name="length"/>).
    /// Bytes at or above 2^32 (including a range that wraps past 2^64) do not exist on these 32-bit machines: the
    /// first of them faults with <see cref="FaultReason.NoRegion"/>, for privileged code too, unless an earlier
    /// byte already faulted. Where no region matches, privileged code gets the <see cref="DefaultMemoryMap"/> when
    /// <paramref name="privilegedDefaultMap"/> (PRIVDEFENA) is set, and faults with NoRegion when it is clear.
    /// </summary>
    public MemoryFault? Check(ulong address, ulong length, AccessKind kind, bool privileged, bool privilegedDefaultMap = true)
    {
        if (length == 0)
            return null;

        ulong last = address + length - 1;               // may wrap past 2^64
        bool leavesSpace = last < address || last >= AddressSpaceEnd;
        ulong end = leavesSpace ? AddressSpaceEnd : last + 1;

        if (address < AddressSpaceEnd)
        {
            int i = Find(address);
            ulong position = address;
            while (true)
            {
                ulong segmentEnd = EndOf(i);
                if (_segments[i].Region == NoRegion && privileged && privilegedDefaultMap)
                {
                    // The background region: the default map decides, area by area (its XN areas, the PPB).
                    if (DefaultMemoryMap.Check(position, Math.Min(segmentEnd, end) - position, kind, privileged) is { } refused)
                        return refused;
                }
                else if (Decide(_segments[i], kind, privileged, privilegedDefaultMap) is { } reason)
                {
                    return new MemoryFault(position, kind, reason);
                }
                if (segmentEnd >= end)
                    break;
                position = segmentEnd;
                i++;
            }
        }

        return leavesSpace ? new MemoryFault(Math.Max(address, AddressSpaceEnd), kind, FaultReason.NoRegion) : null;
    }

    /// <summary>The decision for one segment: null when allowed.</summary>
    private static FaultReason? Decide(in Segment segment, AccessKind kind, bool privileged, bool privilegedDefaultMap) => segment.Region switch
    {
        Overlap => FaultReason.RegionOverlap,
        // PRIVDEFENA = 1: privileged code falls back to the default memory map (handled by the caller); user code,
        // and privileged code with PRIVDEFENA = 0, has no background region.
        NoRegion => privileged && privilegedDefaultMap ? null : FaultReason.NoRegion,
        _ => MpuPermissions.Decide(segment.Access, segment.ExecuteNever, kind, privileged),
    };

    private ulong EndOf(int i) => i + 1 < _count ? _segments[i + 1].Start : AddressSpaceEnd;

    /// <summary>The index of the segment holding <paramref name="address"/> (which must be below 2^32).</summary>
    private int Find(ulong address)
    {
        int hint = _hint;
        if ((uint)hint < (uint)_count && _segments[hint].Start <= address && address < EndOf(hint))
            return hint;

        // The last segment whose start is <= address; segment 0 starts at 0, so there always is one.
        int lo = 0, hi = _count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_segments[mid].Start <= address)
                lo = mid;
            else
                hi = mid - 1;
        }
        _hint = lo;
        return lo;
    }
}
