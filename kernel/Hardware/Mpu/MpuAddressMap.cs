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
/// every context switch, so building on each write would be wasted work).
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

    private readonly Segment[] _segments;

    // The segment the last check started in: consecutive accesses of a program are mostly in the same region.
    // A stale or torn value is harmless, because Find checks it before trusting it.
    private int _hint;

    private MpuAddressMap(Segment[] segments) => _segments = segments;

    /// <summary>The segments, sorted by start; the first starts at 0 and together they cover the whole space.</summary>
    public IReadOnlyList<Segment> Segments => _segments;

    /// <summary>Compiles the pieces of the enabled regions into segments.</summary>
    public static MpuAddressMap Build(IReadOnlyList<Piece> pieces, Resolution resolution)
    {
        // Between two consecutive piece edges, the set of covering pieces does not change, so deciding at the
        // left edge decides for the whole interval.
        var edges = new SortedSet<ulong> { 0 };
        foreach (var piece in pieces)
        {
            edges.Add(piece.Start);
            if (piece.End < AddressSpaceEnd)
                edges.Add(piece.End);
        }

        var segments = new List<Segment>(edges.Count);
        foreach (ulong start in edges)
        {
            var segment = Resolve(pieces, start, resolution);
            // Merge with the previous segment when the same region decides (e.g. two adjacent sub-regions).
            if (segments.Count > 0 && segments[^1].Region == segment.Region)
                continue;
            segments.Add(segment);
        }
        return new MpuAddressMap([.. segments]);
    }

    private static Segment Resolve(IReadOnlyList<Piece> pieces, ulong address, Resolution resolution)
    {
        Piece? winner = null;
        int covering = 0;
        foreach (var piece in pieces)
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

    private ulong EndOf(int i) => i + 1 < _segments.Length ? _segments[i + 1].Start : AddressSpaceEnd;

    /// <summary>The index of the segment holding <paramref name="address"/> (which must be below 2^32).</summary>
    private int Find(ulong address)
    {
        int hint = _hint;
        if ((uint)hint < (uint)_segments.Length && _segments[hint].Start <= address && address < EndOf(hint))
            return hint;

        // The last segment whose start is <= address; segment 0 starts at 0, so there always is one.
        int lo = 0, hi = _segments.Length - 1;
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
