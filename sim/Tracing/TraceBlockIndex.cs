namespace MicroKernel.Sim.Tracing;

/// <summary>Where one block of events is in the file, and what it holds (an entry of the trailer's block index).</summary>
/// <param name="Offset">The offset of its tag byte 'B'.</param>
/// <param name="FirstSeq">The sequence number of its first event.</param>
/// <param name="Count">Its events.</param>
/// <param name="FirstTick">The tick of its first event.</param>
/// <param name="LastTick">The tick of its last event.</param>
internal readonly record struct BlockInfo(long Offset, long FirstSeq, int Count, long FirstTick, long LastTick)
{
    /// <summary>The sequence number after its last event.</summary>
    public long EndSeq => FirstSeq + Count;
}

/// <summary>
/// The trailer's block index: every block's offset, first sequence number, count and tick range, in file order. It is
/// what lets a reader jump to an event or a tick without reading what comes before (blocks decode on their own).
/// </summary>
internal sealed class TraceBlockIndex(IReadOnlyList<BlockInfo> blocks)
{
    /// <summary>The blocks, in file order.</summary>
    public IReadOnlyList<BlockInfo> Blocks { get; } = blocks;

    /// <summary>The block holding event <paramref name="seq"/>, or -1 when no block does.</summary>
    public int BlockOfSeq(long seq)
    {
        int lo = 0, hi = Blocks.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            BlockInfo b = Blocks[mid];
            if (seq < b.FirstSeq) hi = mid - 1;
            else if (seq >= b.EndSeq) lo = mid + 1;
            else return mid;
        }
        return -1;
    }

    /// <summary>
    /// The first block that can hold an event at or after <paramref name="tick"/> (its last tick is at least that),
    /// or <see cref="Blocks"/>.Count when none can. Ticks never decrease along a trace, so a binary search finds it.
    /// </summary>
    public int FirstBlockFromTick(long tick)
    {
        int lo = 0, hi = Blocks.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Blocks[mid].LastTick < tick) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
