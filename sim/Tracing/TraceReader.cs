using System.Buffers.Binary;
using System.Text;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// Reads a binary trace (docs/trace-format.md) and checks everything: magic, version, the header's and every
/// block's CRC-32, every field's bounds, the trailer's event count, nothing after the trailer. Any problem is a
/// <see cref="TraceFormatException"/> naming the byte offset: a damaged trace is refused, never half-replayed.
/// </summary>
internal static class TraceReader
{
    /// <summary>Reads the trace at <paramref name="path"/>.</summary>
    public static Trace Read(string path)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TraceFormatException(path, 0, $"cannot read the file: {e.Message}");
        }
        return Read(data, path);
    }

    /// <summary>Reads a trace held in memory; <paramref name="name"/> names it in errors.</summary>
    public static Trace Read(byte[] data, string name)
    {
        var r = new Cursor(data, name);
        if (data.Length < 14) throw r.Error(data.Length, $"the file is {data.Length} bytes long: too short for a trace header (truncated, or not a trace)");
        if (!data.AsSpan(0, 8).SequenceEqual(TraceFormat.Magic)) throw r.Error(0, "not an mktrace file (bad magic bytes)");
        int version = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(8));
        if (version != TraceFormat.Version)
            throw r.Error(8, $"format version {version}, but this build reads version {TraceFormat.Version} (record the trace again, or use the matching mk)");
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(10));
        if (headerLength > TraceFormat.MaxHeader || 14 + (long)headerLength + 4 > data.Length)
            throw r.Error(10, $"the header claims {headerLength} bytes but the file has {Math.Max(0, data.Length - 18)} after it: truncated or damaged");
        ReadOnlySpan<byte> json = data.AsSpan(14, (int)headerLength);
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(14 + (int)headerLength));
        if (Crc32.Compute(json) != stored) throw r.Error(14, "the header fails its CRC-32 check: the file is damaged");
        TraceHeader header = TraceHeader.FromJson(json, name, 14);

        var events = new List<TraceEvent>();
        var decoder = new EventDecoder();
        r.Position = 14 + (int)headerLength + 4;
        while (true)
        {
            long at = r.Position;
            if (r.Position >= data.Length)
                throw r.Error(at, $"the trace ends after {events.Count} events without its trailer: truncated (was the recording cut short?)");
            byte tag = data[r.Position];
            if (tag == TraceFormat.BlockTag)
            {
                if (data.Length - at < 13) throw r.Error(at, $"block header cut short after {events.Count} events: truncated");
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)at + 1));
                uint count = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)at + 5));
                if (length > TraceFormat.MaxBlockPayload) throw r.Error(at + 1, $"block length {length} is impossible: the file is damaged");
                if (at + 9 + length + 4 > data.Length)
                    throw r.Error(at, $"the block starting here needs {9 + length + 4} bytes but only {data.Length - at} remain: truncated");
                uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)(at + 9 + length)));
                if (TraceWriter.Crc32Of(data.AsSpan((int)at + 1, 8), data.AsSpan((int)at + 9, (int)length)) != crc)
                    throw r.Error(at, $"the block of events #{events.Count}.. fails its CRC-32 check: the file is damaged between offsets {at} and {at + 9 + length + 4}");
                if (count == 0 || count > length) throw r.Error(at + 5, $"block event count {count} is impossible for {length} bytes");
                var payload = new Cursor(data, name) { Position = (int)at + 9, End = (int)(at + 9 + length) };
                for (uint i = 0; i < count; i++) events.Add(decoder.Decode(ref payload, events.Count));
                if (payload.Position != payload.End) throw r.Error(payload.Position, $"{payload.End - payload.Position} stray bytes at the end of a block");
                r.Position = (int)(at + 9 + length + 4);
            }
            else if (tag == TraceFormat.TrailerTag)
            {
                if (data.Length - at < 9) throw r.Error(at, "the trailer is cut short: truncated");
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)at + 1));
                if (at + 5 + (long)length + 4 != data.Length)
                    throw r.Error(at, at + 5 + (long)length + 4 > data.Length ? "the trailer is cut short: truncated" : "bytes follow the trailer: the file is damaged");
                uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)(at + 5 + length)));
                if (TraceWriter.Crc32Of(data.AsSpan((int)at + 1, 4), data.AsSpan((int)at + 5, (int)length)) != crc)
                    throw r.Error(at, "the trailer fails its CRC-32 check: the file is damaged");
                var t = new Cursor(data, name) { Position = (int)at + 5, End = (int)(at + 5 + length) };
                long count = (long)t.Varint();
                ulong outcome = t.Varint();
                long ticks = t.ZigZag(), switches = t.ZigZag();
                if (count != events.Count) throw r.Error(at, $"the trailer counts {count} events but the blocks hold {events.Count}: blocks are missing");
                if (outcome > (ulong)RunOutcome.Panic) throw r.Error(at, $"unknown run outcome {outcome}");
                return new Trace(name, header, events, new TraceSummary(count, (RunOutcome)outcome, ticks, switches), data.Length);
            }
            else
            {
                throw r.Error(at, $"expected a block ('B') or the trailer ('E') after {events.Count} events, found byte 0x{tag:x2}: the file is damaged");
            }
        }
    }

    /// <summary>A bounded position in the file: every read checks it stays inside its record.</summary>
    internal struct Cursor(byte[] data, string name)
    {
        public int Position;
        public int End = data.Length;

        public readonly TraceFormatException Error(long offset, string problem) => new(name, offset, problem);

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

    /// <summary>Decodes events in order; keeps the state that spans blocks (string table, open syscalls, time).</summary>
    private sealed class EventDecoder
    {
        private readonly List<string> _strings = [];
        private readonly Dictionary<int, Stack<KernelEvent>> _open = [];
        private long _tick;

        public TraceEvent Decode(ref Cursor c, long seq)
        {
            int start = c.Position;
            byte kindByte = c.Byte();
            ulong maskValue = c.Varint();
            if (maskValue > TraceFormat.KnownBits) throw c.Error(start, $"event #{seq}: unknown field bits 0x{maskValue:x}");
            int mask = (int)maskValue;
            long delta = c.ZigZag();
            if (delta < 0) throw c.Error(start, $"event #{seq}: virtual time goes backwards by {-delta} ticks");
            _tick += delta;
            ulong pid = c.Varint(), tid = c.Varint();
            if (pid > int.MaxValue || tid > int.MaxValue) throw c.Error(start, $"event #{seq}: pid/tid out of range");
            var kind = (EventKind)kindByte;
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
            else if (kind == EventKind.SyscallExit && _open.TryGetValue(e.Tid, out Stack<KernelEvent>? s)) s.TryPop(out _);
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
