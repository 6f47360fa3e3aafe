using System.Buffers.Binary;
using System.Text;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// Opens a binary trace (docs/trace-format.md) without loading its events: reads and checks the magic, the version,
/// the header and the trailer with its block index (found through the footer), and by default checks every block
/// (framing, CRC-32, every field) in one streaming pass. The events are then read block by block as they are used
/// (<see cref="TraceEventList"/>), so memory stays flat whatever the trace's length. Any problem is a
/// <see cref="TraceFormatException"/> naming the byte offset: a damaged trace is refused, never half-replayed.
/// </summary>
internal static class TraceReader
{
    /// <summary>Opens the trace at <paramref name="path"/> and checks every block.</summary>
    public static Trace Read(string path) => Open(path, verify: true);

    /// <summary>Opens a trace held in memory and checks every block; <paramref name="name"/> names it in errors.</summary>
    public static Trace Read(byte[] data, string name) => Open(() => new MemoryStream(data, writable: false), name, verify: true);

    /// <summary>
    /// Opens the trace at <paramref name="path"/>: header, trailer and index; with <paramref name="verify"/> also
    /// every block (otherwise a damaged block is found when it is read: <c>trace show</c> skips it).
    /// </summary>
    public static Trace Open(string path, bool verify)
    {
        try
        {
            using (File.OpenHandle(path)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TraceFormatException(path, 0, $"cannot read the file: {e.Message}");
        }
        return Open(() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), path, verify);
    }

    /// <summary>Opens the trace that <paramref name="open"/> gives a fresh seekable stream of (each reader of its events opens its own).</summary>
    public static Trace Open(Func<Stream> open, string name, bool verify)
    {
        using Stream stream = open();
        long length = stream.Length;
        var file = new FileReader(stream, name);
        if (length < 14) throw file.Error(length, $"the file is {length} bytes long: too short for a trace header (truncated, or not a trace)");
        byte[] fixedPart = file.Read(0, 14);
        if (!fixedPart.AsSpan(0, 8).SequenceEqual(TraceFormat.Magic)) throw file.Error(0, "not an mktrace file (bad magic bytes)");
        int version = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart.AsSpan(8));
        if (version is < TraceFormat.OldestReadable or > TraceFormat.Version)
            throw file.Error(8, $"format version {version}, but this build reads version {TraceFormat.Version} (record the trace again, or use the matching mk)");
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart.AsSpan(10));
        if (headerLength > TraceFormat.MaxHeader || 14 + (long)headerLength + 4 > length)
            throw file.Error(10, $"the header claims {headerLength} bytes but the file has {Math.Max(0, length - 18)} after it: truncated or damaged");
        byte[] headerBytes = file.Read(14, (int)headerLength + 4);
        ReadOnlySpan<byte> json = headerBytes.AsSpan(0, (int)headerLength);
        if (Crc32.Compute(json) != BinaryPrimitives.ReadUInt32LittleEndian(headerBytes.AsSpan((int)headerLength)))
            throw file.Error(14, "the header fails its CRC-32 check: the file is damaged");
        TraceHeader header = TraceHeader.FromJson(json, name, 14);
        long blocksStart = 14 + headerLength + 4;

        (TraceSummary summary, TraceBlockIndex index, long trailerOffset) = Tail(file, length, blocksStart)
            ?? throw Scan(file, length, blocksStart); // no usable footer: walk the records to say what is wrong
        var events = new TraceEventList(open, name, index, trailerOffset);
        if (verify) events.Verify();
        return new Trace(name, header, events, summary, length) { Index = index };
    }

    // The footer, the trailer and its block index; null when the footer is missing or points nowhere.
    private static (TraceSummary, TraceBlockIndex, long)? Tail(FileReader file, long length, long blocksStart)
    {
        if (length < blocksStart + 5 + 4 + TraceFormat.FooterSize) return null;
        byte[] footer = file.Read(length - TraceFormat.FooterSize, TraceFormat.FooterSize);
        if (!footer.AsSpan(8).SequenceEqual(TraceFormat.FooterMagic)) return null;
        ulong at = BinaryPrimitives.ReadUInt64LittleEndian(footer);
        if (at < (ulong)blocksStart || at > (ulong)(length - TraceFormat.FooterSize - 9)) return null;
        long trailerOffset = (long)at;
        byte[] head = file.Read(trailerOffset, 5);
        if (head[0] != TraceFormat.TrailerTag) return null;
        uint payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(1));
        if (trailerOffset + 5 + (long)payloadLength + 4 != length - TraceFormat.FooterSize) return null;
        byte[] rest = file.Read(trailerOffset + 5, (int)payloadLength + 4);
        if (TraceWriter.Crc32Of(head.AsSpan(1, 4), rest.AsSpan(0, (int)payloadLength)) != BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan((int)payloadLength)))
            throw file.Error(trailerOffset, "the trailer fails its CRC-32 check: the file is damaged");
        var t = new Cursor(rest, file.Name, trailerOffset + 5) { End = (int)payloadLength };
        long count = (long)t.Varint();
        ulong outcome = t.Varint();
        long ticks = t.ZigZag(), switches = t.ZigZag();
        if (outcome > (ulong)RunOutcome.Panic) throw file.Error(trailerOffset, $"unknown run outcome {outcome}");
        ulong blockCount = t.Varint();
        if (blockCount > payloadLength) throw file.Error(trailerOffset, $"the trailer indexes {blockCount} blocks in {payloadLength} bytes: the file is damaged");
        var blocks = new List<BlockInfo>((int)blockCount);
        long offset = 0, tick = 0, seq = 0;
        for (ulong i = 0; i < blockCount; i++)
        {
            ulong delta = t.Varint(), n = t.Varint(), tickDelta = t.Varint(), span = t.Varint();
            offset += (long)Math.Min(delta, (ulong)length);
            bool first = i == 0;
            if ((first ? offset != blocksStart : delta < TraceFormat.BlockHeaderSize + 4) || offset + TraceFormat.BlockHeaderSize + 4 > trailerOffset
                || n == 0 || n > TraceFormat.MaxBlockPayload || tickDelta > long.MaxValue / 4 || span > long.MaxValue / 4)
                throw file.Error(trailerOffset, $"the trailer's index entry of block {i} (offset {offset}) is impossible: the file is damaged");
            long firstTick = tick + (long)tickDelta;
            blocks.Add(new BlockInfo(offset, seq, (int)n, firstTick, firstTick + (long)span));
            seq += (long)n;
            tick = firstTick + (long)span;
        }
        if (t.Position != t.End) throw file.Error(trailerOffset, "stray bytes at the end of the trailer: the file is damaged");
        if (blockCount == 0 && trailerOffset != blocksStart) throw file.Error(blocksStart, "records between the header and a trailer that indexes none: the file is damaged");
        if (count != seq) throw file.Error(trailerOffset, $"the trailer counts {count} events but its index holds {seq}: the file is damaged");
        return (new TraceSummary(count, (RunOutcome)outcome, ticks, switches), new TraceBlockIndex(blocks), trailerOffset);
    }

    // Walks the records from the first block, as a reader without the index would, to name what is wrong with a file
    // whose footer is missing: it was cut short, or bytes follow the trailer, or a record is damaged.
    private static TraceFormatException Scan(FileReader file, long length, long at)
    {
        long events = 0;
        while (true)
        {
            if (at >= length) return file.Error(at, $"the trace ends after {events} events without its trailer: truncated (was the recording cut short?)");
            byte tag = file.Read(at, 1)[0];
            if (tag == TraceFormat.BlockTag)
            {
                if (length - at < TraceFormat.BlockHeaderSize) return file.Error(at, $"block header cut short after {events} events: truncated");
                byte[] head = file.Read(at, TraceFormat.BlockHeaderSize);
                uint stored = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(2));
                if (stored > TraceFormat.MaxBlockPayload) return file.Error(at + 2, $"block length {stored} is impossible: the file is damaged");
                if (at + TraceFormat.BlockHeaderSize + stored + 4 > length)
                    return file.Error(at, $"the block starting here needs {TraceFormat.BlockHeaderSize + stored + 4} bytes but only {length - at} remain: truncated");
                events += BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(10));
                at += TraceFormat.BlockHeaderSize + stored + 4;
            }
            else if (tag == TraceFormat.TrailerTag)
            {
                if (length - at < 5) return file.Error(at, "the trailer is cut short: truncated");
                uint payload = BinaryPrimitives.ReadUInt32LittleEndian(file.Read(at + 1, 4));
                long end = at + 5 + (long)payload + 4 + TraceFormat.FooterSize;
                return end > length ? file.Error(at, "the trailer (or the footer after it) is cut short: truncated")
                    : end < length ? file.Error(at, "bytes follow the trailer: the file is damaged")
                    : file.Error(length - TraceFormat.FooterSize, "the footer does not point at the trailer: the file is damaged");
            }
            else
            {
                return file.Error(at, $"expected a block ('B') or the trailer ('E') after {events} events, found byte 0x{tag:x2}: the file is damaged");
            }
        }
    }

    /// <summary>Reads whole ranges of a trace file, counting the bytes; every problem names the file.</summary>
    internal sealed class FileReader(Stream stream, string name)
    {
        /// <summary>The file's name in errors.</summary>
        public string Name => name;

        /// <summary>Bytes read so far.</summary>
        public long BytesRead { get; private set; }

        /// <summary>The error at <paramref name="offset"/>.</summary>
        public TraceFormatException Error(long offset, string problem) => new(name, offset, problem);

        /// <summary>Exactly <paramref name="count"/> bytes from <paramref name="offset"/> into a new array.</summary>
        public byte[] Read(long offset, int count)
        {
            byte[] buffer = new byte[count];
            Read(offset, buffer.AsSpan());
            return buffer;
        }

        /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
        public void Read(long offset, Span<byte> buffer)
        {
            try
            {
                stream.Position = offset;
                stream.ReadExactly(buffer);
            }
            catch (Exception e) when (e is IOException or EndOfStreamException)
            {
                throw Error(offset, $"cannot read {buffer.Length} bytes here: {e.Message}");
            }
            BytesRead += buffer.Length;
        }
    }

    /// <summary>A bounded position in the file: every read checks it stays inside its record.</summary>
    /// <remarks><paramref name="origin"/> is the file offset of <c>data[0]</c>, for errors; -1 when the data is an
    /// expanded (compressed) payload, whose offsets are not the file's: errors then name <paramref name="block"/>.</remarks>
    internal struct Cursor(byte[] data, string name, long origin, long block = 0)
    {
        public int Position;
        public int End = data.Length;

        public readonly TraceFormatException Error(long offset, string problem) =>
            origin >= 0 ? new(name, origin + offset, problem) : new(name, block, $"{problem} (at byte {offset} of the block's expanded events)");

        public byte Byte()
        {
            if (Position >= End) throw Error(Position, "an event runs past the end of its block");
            return data[Position++];
        }

        public ulong Varint()
        {
            int start = Position;
            ulong value = 0;
            for (int shift = 0; shift < 70; shift += 7)
            {
                byte b = Byte();
                if (shift == 63 && b > 1) break;
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw Error(start, "a number is longer than 64 bits");
        }

        public long ZigZag()
        {
            ulong v = Varint();
            return (long)(v >> 1) ^ -(long)(v & 1);
        }

        public ReadOnlySpan<byte> Bytes(ulong count)
        {
            if (count > (ulong)(End - Position)) throw Error(Position, $"{count} bytes announced but the block has {End - Position} left");
            ReadOnlySpan<byte> span = data.AsSpan(Position, (int)count);
            Position += (int)count;
            return span;
        }

        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));
    }

    /// <summary>Decodes the events of one block in order; keeps the block's state (string table, open syscalls, time).</summary>
    internal sealed class EventDecoder
    {
        private readonly List<string> _strings = [];
        private readonly Dictionary<int, Stack<KernelEvent>> _open = [];
        private long _tick;

        // The block's last syscall record, which a "syscall again" record repeats at a new time.
        private KernelEvent? _lastRecord;

        /// <summary>
        /// Decodes one record into <paramref name="events"/> at <paramref name="at"/>: one event, or two for a syscall
        /// record (docs/trace-format.md, "Syscall records"). Returns how many.
        /// </summary>
        public int Decode(ref Cursor c, long seq, TraceEvent[] events, int at)
        {
            int start = c.Position;
            byte kindByte = c.Byte();
            if (kindByte is TraceFormat.SyscallRecordKind or TraceFormat.SyscallAgainKind)
            {
                if (at + 2 > events.Length) throw c.Error(start, $"event #{seq}: a syscall record (two events) past the block's event count");
                TraceEvent exit;
                if (kindByte == TraceFormat.SyscallAgainKind)
                {
                    if (_lastRecord is not { } last) throw c.Error(start, $"event #{seq}: 'syscall again' with no syscall record before it in its block");
                    long again = c.ZigZag();
                    if (again < 0) throw c.Error(start, $"event #{seq}: virtual time goes backwards by {-again} ticks");
                    _tick += again;
                    exit = new TraceEvent(last with { Seq = seq + 1, Tick = _tick }, null);
                }
                else
                {
                    exit = DecodeEvent(ref c, seq + 1, start, EventKind.SyscallExit, syscallRecord: true);
                    _lastRecord = exit.Io is null && exit.Event.Instructions == 0 ? exit.Event : null;
                }
                // The entry: the exit's fields one seq before, without result and I/O.
                events[at] = new TraceEvent(exit.Event with { Seq = seq, Kind = EventKind.SyscallEnter, Result = 0 }, null);
                events[at + 1] = exit;
                return 2;
            }
            events[at] = DecodeEvent(ref c, seq, start, (EventKind)kindByte, syscallRecord: false);
            return 1;
        }

        private TraceEvent DecodeEvent(ref Cursor c, long seq, int start, EventKind kind, bool syscallRecord)
        {
            ulong maskValue = c.Varint();
            if (maskValue > TraceFormat.KnownBits) throw c.Error(start, $"event #{seq}: unknown field bits 0x{maskValue:x}");
            int mask = (int)maskValue;
            long delta = c.ZigZag();
            if (delta < 0) throw c.Error(start, $"event #{seq}: virtual time goes backwards by {-delta} ticks");
            _tick += delta;
            ulong pid = c.Varint(), tid = c.Varint();
            if (pid > int.MaxValue || tid > int.MaxValue) throw c.Error(start, $"event #{seq}: pid/tid out of range");
            if (syscallRecord && (mask & (TraceFormat.HasText | TraceFormat.SameCallAsEnter)) != 0)
                throw c.Error(start, $"event #{seq}: a syscall record with text or 'same call as entry'");
            long code = (mask & TraceFormat.HasCode) != 0 ? c.ZigZag() : 0;
            ulong[] a = new ulong[6];
            for (int i = 0; i < 6; i++) a[i] = (mask & (TraceFormat.HasA0 << i)) != 0 ? c.Varint() : 0;
            var e = new KernelEvent
            {
                Seq = seq, Tick = _tick, Pid = (int)pid, Tid = (int)tid, Kind = kind, Code = code,
                A0 = a[0], A1 = a[1], A2 = a[2], A3 = a[3], A4 = a[4], A5 = a[5],
            };
            if ((mask & TraceFormat.SameCallAsEnter) != 0)
            {
                if (kind != EventKind.SyscallExit || (mask & 0x7F) != 0) throw c.Error(start, $"event #{seq}: 'same call as entry' on a {kind} event");
                if (!_open.TryGetValue(e.Tid, out Stack<KernelEvent>? s) || !s.TryPop(out KernelEvent enter))
                    throw c.Error(start, $"event #{seq}: a syscall exit of tid {e.Tid} refers to an entry that does not exist");
                e = e with { Code = enter.Code, A0 = enter.A0, A1 = enter.A1, A2 = enter.A2, A3 = enter.A3, A4 = enter.A4, A5 = enter.A5 };
            }
            else if (kind == EventKind.SyscallExit && !syscallRecord && _open.TryGetValue(e.Tid, out Stack<KernelEvent>? s)) s.TryPop(out _);
            if (kind == EventKind.SyscallEnter)
            {
                if (!_open.TryGetValue(e.Tid, out Stack<KernelEvent>? s)) _open[e.Tid] = s = new Stack<KernelEvent>();
                s.Push(e);
            }
            long result = (mask & TraceFormat.HasResult) != 0 ? c.ZigZag() : 0;
            string? text = (mask & TraceFormat.HasText) != 0 ? Text(ref c, seq) : null;
            long instructions = (mask & TraceFormat.HasInstructions) != 0 ? c.ZigZag() : 0;
            TraceIo? io = (mask & TraceFormat.HasIo) != 0 ? Io(ref c, seq) : null;
            if (io is not null && kind != EventKind.SyscallExit) throw c.Error(start, $"event #{seq}: user-memory I/O on a {kind} event");
            return new TraceEvent(e with { Result = result, Text = text, Instructions = instructions }, io);
        }

        private string Text(ref Cursor c, long seq)
        {
            int at = c.Position;
            ulong id = c.Varint();
            if (id >= 2)
            {
                if (id - 2 >= (ulong)_strings.Count) throw c.Error(at, $"event #{seq}: string #{id - 2} is not defined ({_strings.Count} so far)");
                return _strings[(int)(id - 2)];
            }
            ulong length = c.Varint();
            string text;
            try
            {
                text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(c.Bytes(length));
            }
            catch (DecoderFallbackException)
            {
                throw c.Error(at, $"event #{seq}: text is not valid UTF-8");
            }
            if (id == 1) _strings.Add(text);
            return text;
        }

        private static TraceIo Io(ref Cursor c, long seq)
        {
            int at = c.Position;
            ulong count = c.Varint();
            if (count == 0 || count > (ulong)(c.End - c.Position)) throw c.Error(at, $"event #{seq}: {count} I/O segments is impossible");
            var segments = new IoSegment[count];
            bool missingRead = false, anyWritten = false;
            for (ulong i = 0; i < count; i++)
            {
                byte flags = c.Byte();
                if ((flags & ~(TraceFormat.SegmentWritten | TraceFormat.SegmentBytesStored)) != 0) throw c.Error(c.Position - 1, $"event #{seq}: bad I/O flags 0x{flags:x2}");
                bool written = (flags & TraceFormat.SegmentWritten) != 0, stored = (flags & TraceFormat.SegmentBytesStored) != 0;
                if (written && stored) throw c.Error(c.Position - 1, $"event #{seq}: bytes stored for a written segment");
                ulong address = c.Varint(), length = c.Varint();
                if (length > int.MaxValue) throw c.Error(at, $"event #{seq}: I/O length {length} out of range");
                byte[]? bytes = stored ? c.Bytes(length).ToArray() : null;
                if (!written && !stored) missingRead = true;
                anyWritten |= written;
                segments[i] = new IoSegment(address, (int)length, written, bytes);
            }
            ulong readDigest = missingRead ? c.UInt64() : TraceIo.ReadDigestOf(segments);
            ulong writtenDigest = anyWritten ? c.UInt64() : 0;
            return new TraceIo(segments, readDigest, writtenDigest);
        }
    }
}
