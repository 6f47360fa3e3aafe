using System.Buffers.Binary;
using System.Collections;

namespace MicroKernel.Sim.Tracing;

/// <summary>A block that could not be read, and what <c>trace show</c> says it skipped.</summary>
/// <param name="Block">The block's index entry (its offset, events and ticks).</param>
/// <param name="Error">Why it could not be read.</param>
internal sealed record BlockDamage(BlockInfo Block, TraceFormatException Error);

/// <summary>
/// The events of a trace file, read block by block as they are used: the list a <see cref="Trace"/> hands out. An
/// enumeration streams the blocks in order (one decoded block in memory at a time); the indexer finds an event's
/// block through the trailer's index and keeps the last few decoded blocks, so a replay reading events in order, and
/// looking a few events back for its divergence report, never holds more than a handful of blocks. Memory is flat
/// whatever the trace's length (docs/trace-format.md, "Reading in bounded memory").
/// </summary>
internal sealed class TraceEventList(Func<Stream> open, string name, TraceBlockIndex index, long trailerOffset) : IReadOnlyList<TraceEvent>, IDisposable
{
    /// <summary>Decoded blocks the indexer keeps: the current one and a few behind it.</summary>
    public const int CachedBlocks = 4;

    private readonly LinkedList<(int Block, TraceEvent[] Events)> _cache = new();
    private BlockSource? _source;
    private long _bytesReadByEnumerations;

    /// <summary>The blocks, from the trailer's index.</summary>
    public TraceBlockIndex Index => index;

    /// <inheritdoc />
    public int Count { get; } = (int)Math.Min(int.MaxValue, index.Blocks.Count == 0 ? 0 : index.Blocks[^1].EndSeq);

    /// <summary>Bytes of the file read for events so far, by the indexer and every enumeration (not the header and trailer).</summary>
    public long BytesRead => (_source?.BytesRead ?? 0) + _bytesReadByEnumerations;

    /// <summary>Blocks decoded so far (a block read twice counts twice).</summary>
    public long BlocksDecoded { get; private set; }

    /// <inheritdoc />
    public TraceEvent this[int seq]
    {
        get
        {
            if ((uint)seq >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(seq), seq, $"the trace has {Count} events");
            int block = index.BlockOfSeq(seq);
            for (LinkedListNode<(int Block, TraceEvent[] Events)>? n = _cache.First; n is not null; n = n.Next)
                if (n.Value.Block == block)
                {
                    if (n != _cache.First)
                    {
                        _cache.Remove(n);
                        _cache.AddFirst(n);
                    }
                    return n.Value.Events[seq - index.Blocks[block].FirstSeq];
                }
            _source ??= new BlockSource(open(), name, index, trailerOffset);
            TraceEvent[] events = _source.Decode(block);
            BlocksDecoded++;
            _cache.AddFirst((block, events));
            if (_cache.Count > CachedBlocks) _cache.RemoveLast();
            return events[seq - index.Blocks[block].FirstSeq];
        }
    }

    /// <inheritdoc />
    public IEnumerator<TraceEvent> GetEnumerator() => From(0, null).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The events from sequence number <paramref name="seq"/> on, read from the block that holds it (nothing before is
    /// read). A block that cannot be read is passed to <paramref name="damaged"/> and skipped; without it, it throws.
    /// </summary>
    public IEnumerable<TraceEvent> From(long seq, Action<BlockDamage>? damaged) =>
        index.BlockOfSeq(Math.Max(0, seq)) is var block and >= 0 ? Blocks(block, seq, damaged) : [];

    /// <summary>The events at or after tick <paramref name="tick"/>, read from the first block that can hold one.</summary>
    public IEnumerable<TraceEvent> FromTick(long tick, Action<BlockDamage>? damaged) => Blocks(index.FirstBlockFromTick(tick), 0, damaged, tick);

    /// <summary>Reads and checks every block once, in order, keeping none: what <see cref="TraceReader.Read(string)"/> does before handing the trace out.</summary>
    public void Verify()
    {
        using var source = new BlockSource(open(), name, index, trailerOffset);
        for (int b = 0; b < index.Blocks.Count; b++) source.Decode(b);
        _bytesReadByEnumerations += source.BytesRead;
    }

    private IEnumerable<TraceEvent> Blocks(int first, long fromSeq, Action<BlockDamage>? damaged, long fromTick = long.MinValue)
    {
        if (first < 0 || first >= index.Blocks.Count) yield break;
        using var source = new BlockSource(open(), name, index, trailerOffset);
        try
        {
            for (int b = first; b < index.Blocks.Count; b++)
            {
                TraceEvent[]? events = null;
                try
                {
                    events = source.Decode(b);
                }
                catch (TraceFormatException e) when (damaged is not null)
                {
                    damaged(new BlockDamage(index.Blocks[b], e));
                }
                if (events is null) continue;
                BlocksDecoded++;
                foreach (TraceEvent e in events)
                    if (e.Event.Seq >= fromSeq && e.Event.Tick >= fromTick) yield return e;
            }
        }
        finally
        {
            _bytesReadByEnumerations += source.BytesRead;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _source?.Dispose();
        _source = null;
        _cache.Clear();
    }

    /// <summary>Reads one block at a time from its own stream: framing, CRC-32, expansion, then its events.</summary>
    private sealed class BlockSource(Stream stream, string name, TraceBlockIndex index, long trailerOffset) : IDisposable
    {
        private readonly TraceReader.FileReader _file = new(stream, name);
        private readonly System.IO.Hashing.Crc32 _crc = new();
        private byte[] _stored = new byte[TraceFormat.BlockTarget + 4096];
        private byte[] _raw = [];

        public long BytesRead => _file.BytesRead;

        public TraceEvent[] Decode(int block)
        {
            BlockInfo info = index.Blocks[block];
            long end = block + 1 < index.Blocks.Count ? index.Blocks[block + 1].Offset : trailerOffset;
            long at = info.Offset;
            Span<byte> head = stackalloc byte[TraceFormat.BlockHeaderSize];
            _file.Read(at, head);
            if (head[0] != TraceFormat.BlockTag)
                throw _file.Error(at, $"the index puts the block of events #{info.FirstSeq}.. here, but found byte 0x{head[0]:x2}: the file is damaged");
            var codec = (TraceCompression)head[1];
            uint stored = BinaryPrimitives.ReadUInt32LittleEndian(head[2..]), raw = BinaryPrimitives.ReadUInt32LittleEndian(head[6..]);
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(head[10..]);
            ulong firstSeq = BinaryPrimitives.ReadUInt64LittleEndian(head[14..]);
            if (stored > TraceFormat.MaxBlockPayload || at + TraceFormat.BlockHeaderSize + stored + 4 != end)
                throw _file.Error(at + 2, $"block length {stored} does not end where the next record starts (offset {end}): the file is damaged");
            if (_stored.Length < stored + 4) _stored = new byte[stored + 4];
            Span<byte> payload = _stored.AsSpan(0, (int)stored);
            _file.Read(at + TraceFormat.BlockHeaderSize, _stored.AsSpan(0, (int)stored + 4));
            if (Crc32.Compute(_crc, head[1..], payload) != BinaryPrimitives.ReadUInt32LittleEndian(_stored.AsSpan((int)stored)))
                throw _file.Error(at, $"the block of events #{info.FirstSeq}.. fails its CRC-32 check: the file is damaged between offsets {at} and {end}");
            if (count != info.Count || firstSeq != (ulong)info.FirstSeq)
                throw _file.Error(at + 10, $"the block holds events #{firstSeq}.. ({count}), but the index says #{info.FirstSeq}.. ({info.Count}): the file is damaged");
            if (raw > TraceFormat.MaxBlockPayload || count > raw) throw _file.Error(at + 6, $"block event count {count} is impossible for {raw} bytes");
            byte[] data;
            TraceReader.Cursor c;
            switch (codec)
            {
                case TraceCompression.None:
                    if (raw != stored) throw _file.Error(at + 6, $"a stored block of {stored} bytes claims {raw} expanded bytes");
                    data = _stored;
                    c = new TraceReader.Cursor(data, name, at + TraceFormat.BlockHeaderSize) { End = (int)stored };
                    break;
                case TraceCompression.Brotli or TraceCompression.ZLib:
                    if (_raw.Length < raw) _raw = new byte[raw];
                    if (!BlockCodec.Expand(codec, payload, _raw.AsSpan(0, (int)raw)))
                        throw _file.Error(at, $"the {codec} block of events #{info.FirstSeq}.. does not expand to its {raw} bytes: the file is damaged");
                    data = _raw;
                    c = new TraceReader.Cursor(data, name, -1, at) { End = (int)raw };
                    break;
                default:
                    throw _file.Error(at + 1, $"unknown block codec {(byte)codec} (this build knows 0 none, 1 Brotli, 2 zlib)");
            }
            var decoder = new TraceReader.EventDecoder();
            var events = new TraceEvent[count];
            for (int i = 0; i < count;) i += decoder.Decode(ref c, info.FirstSeq + i, events, i); // a syscall record is two
            if (c.Position != c.End) throw c.Error(c.Position, $"{c.End - c.Position} stray bytes at the end of a block");
            if (events[0].Event.Tick != info.FirstTick || events[^1].Event.Tick != info.LastTick)
                throw _file.Error(at, $"the block of events #{info.FirstSeq}.. runs from tick {events[0].Event.Tick} to {events[^1].Event.Tick}, but the index says {info.FirstTick} to {info.LastTick}: the file is damaged");
            return events;
        }

        public void Dispose() => stream.Dispose();
    }
}
