using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// Records the kernel's event stream into the binary trace format (docs/trace-format.md): a sink that encodes each
/// event into a block buffer (varints, only non-zero fields, interned strings, syscall exits that do not repeat
/// their arguments) and writes a block with its CRC every 32 KiB. Each block decodes on its own (its tick deltas,
/// string numbers and open syscalls restart), and the trailer indexes them, so a reader can seek. Nothing is allocated per event: the event comes by
/// reference, its I/O from the thread's reused buffer, and the encoder writes into its own reused block buffer, so
/// recording costs little next to the run (docs/trace-format.md has the figures).
/// </summary>
/// <remarks>
/// Why the encoding stays on the kernel's thread: a writer thread fed with fixed-size copies of the events was
/// measured slower (the copies are 16 times the encoded bytes, and on a busy machine the writer gets no core), and
/// most of a recorded null syscall's cost is the kernel building its two events, not this encoder
/// (docs/benchmarks.md, "Where a recorded null syscall's time goes").
/// </remarks>
internal sealed class TraceWriter : IEventSink, IDisposable
{
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly int _maxStoredReadBytes;
    private readonly Dictionary<string, int> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Stack<CallKey>> _openCalls = [];
    private readonly System.IO.Hashing.Crc32 _crc = new();
    private byte[] _block = new byte[TraceFormat.BlockTarget + 1024];
    private int _length;
    private int _blockEvents;
    private long _lastTick;
    private bool _finished;
    private readonly TraceCompression _compression;
    private byte[] _packed = [];
    private readonly List<BlockInfo> _index = [];
    private long _blockFirstTick;
    private int _lastTid;
    private Stack<CallKey>? _lastCalls;

    // The block's last syscall record (valid once _haveLastRecord): the next equal one is written as "again".
    private bool _haveLastRecord;
    private int _recPid, _recTid;
    private long _recCode, _recResult;
    private MicroKernel.Syscalls.SyscallArgs _recArgs;

    // "Again" records counted but not written yet: _againCount of them, each _againStep ticks after the one before
    // (the first after the last event written), the last at _againTick. Written by WriteAgainRun, byte for byte as
    // one at a time, before anything else is: counting costs a repeated syscall less than writing its two bytes.
    private long _againCount;
    private long _againStep;
    private long _againTick;
    private long _eventCount; // events written (the counted "again" records not included)

    /// <summary>Starts a trace on <paramref name="stream"/>: writes the magic and the header at once.</summary>
    /// <param name="stream">Where the trace goes.</param>
    /// <param name="header">The header.</param>
    /// <param name="ownsStream">Dispose <paramref name="stream"/> with the writer.</param>
    /// <param name="compression">How blocks are stored (<c>--compress</c>: <see cref="TraceCompression.Brotli"/>).</param>
    public TraceWriter(Stream stream, TraceHeader header, bool ownsStream = true, TraceCompression compression = TraceCompression.None)
    {
        _stream = stream;
        _compression = compression;
        _ownsStream = ownsStream;
        _maxStoredReadBytes = header.MaxStoredReadBytes;
        byte[] json = header.ToJson();
        Span<byte> fixedPart = stackalloc byte[14];
        TraceFormat.Magic.CopyTo(fixedPart);
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart[8..], (ushort)header.FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(fixedPart[10..], (uint)json.Length);
        _stream.Write(fixedPart);
        _stream.Write(json);
        WriteUInt32(Crc32.Compute(json));
        BytesWritten = 14 + json.Length + 4;
    }

    /// <summary>Events recorded so far.</summary>
    public long EventCount => _eventCount + 2 * _againCount;

    /// <summary>Bytes written to the stream so far (the whole file once <see cref="Finish"/> returned).</summary>
    public long BytesWritten { get; private set; }

    /// <inheritdoc />
    public void Emit(in KernelEvent e)
    {
        if (_finished) return;
        if (_againCount > 0) WriteAgainRun();
        if (_blockEvents == 0) _blockFirstTick = e.Tick;
        EnsureRoom(128);
        int mask = 0;
        bool sameCall = false;
        if (e.Kind == EventKind.SyscallEnter) OpenCalls(e.Tid, create: true)!.Push(new CallKey(e.Code, e.A0, e.A1, e.A2, e.A3, e.A4, e.A5));
        else if (e.Kind == EventKind.SyscallExit && OpenCalls(e.Tid, create: false) is { } stack && stack.TryPop(out CallKey enter))
            sameCall = enter == new CallKey(e.Code, e.A0, e.A1, e.A2, e.A3, e.A4, e.A5);
        if (sameCall) mask |= TraceFormat.SameCallAsEnter;
        else
        {
            if (e.Code != 0) mask |= TraceFormat.HasCode;
            if (e.A0 != 0) mask |= TraceFormat.HasA0;
            if (e.A1 != 0) mask |= TraceFormat.HasA0 << 1;
            if (e.A2 != 0) mask |= TraceFormat.HasA0 << 2;
            if (e.A3 != 0) mask |= TraceFormat.HasA0 << 3;
            if (e.A4 != 0) mask |= TraceFormat.HasA0 << 4;
            if (e.A5 != 0) mask |= TraceFormat.HasA0 << 5;
        }
        if (e.Result != 0) mask |= TraceFormat.HasResult;
        if (e.Text is not null) mask |= TraceFormat.HasText;
        if (e.Instructions != 0) mask |= TraceFormat.HasInstructions;
        if (e.Io is { Count: > 0 }) mask |= TraceFormat.HasIo;

        // The fixed fields (at most 103 bytes, room made above) go through a local span and position, which the JIT
        // can keep in registers instead of reloading the buffer and length fields at every byte.
        Span<byte> b = _block;
        int at = _length;
        b[at++] = (byte)e.Kind;
        at = Varint(b, at, (ulong)mask);
        at = Varint(b, at, ZigZag(e.Tick - _lastTick));
        _lastTick = e.Tick;
        at = Varint(b, at, (uint)e.Pid);
        at = Varint(b, at, (uint)e.Tid);
        if ((mask & TraceFormat.HasCode) != 0) at = Varint(b, at, ZigZag(e.Code));
        if ((mask & TraceFormat.HasA0) != 0) at = Varint(b, at, e.A0);
        if ((mask & (TraceFormat.HasA0 << 1)) != 0) at = Varint(b, at, e.A1);
        if ((mask & (TraceFormat.HasA0 << 2)) != 0) at = Varint(b, at, e.A2);
        if ((mask & (TraceFormat.HasA0 << 3)) != 0) at = Varint(b, at, e.A3);
        if ((mask & (TraceFormat.HasA0 << 4)) != 0) at = Varint(b, at, e.A4);
        if ((mask & (TraceFormat.HasA0 << 5)) != 0) at = Varint(b, at, e.A5);
        if ((mask & TraceFormat.HasResult) != 0) at = Varint(b, at, ZigZag(e.Result));
        _length = at;
        if ((mask & TraceFormat.HasText) != 0) WriteText(e.Text!);
        EnsureRoom(16);
        if ((mask & TraceFormat.HasInstructions) != 0) WriteVarint(ZigZag(e.Instructions));
        if ((mask & TraceFormat.HasIo) != 0) WriteIo(e.Io!);
        _eventCount++;
        _blockEvents++;
        if (_length >= TraceFormat.BlockTarget) FlushBlock();
    }

    /// <inheritdoc />
    public bool TakesSyscallRecords => true;

    /// <summary>
    /// A syscall with no event between its entry and exit: one record (docs/trace-format.md, "Syscall records"),
    /// two bytes when it equals the previous syscall record in all but time.
    /// </summary>
    public void EmitSyscall(in SyscallRecord r)
    {
        if (_finished) return;
        if (_haveLastRecord && r.Code == _recCode && r.Result == _recResult && r.Tid == _recTid && r.Pid == _recPid
            && r.Instructions == 0 && r.Io is null && r.Args.Equals(_recArgs))
        {
            // "Again": counted while the time between them stays the same (a loop), written when the run ends.
            if (_againCount > 0)
            {
                if (r.Tick - _againTick == _againStep)
                {
                    _againCount++;
                    _againTick = r.Tick;
                    return;
                }
                WriteAgainRun(); // may end the block, and with it the model of "again"
            }
            if (_haveLastRecord)
            {
                _againCount = 1;
                _againStep = r.Tick - _lastTick;
                _againTick = r.Tick;
                return;
            }
        }
        else if (_againCount > 0) WriteAgainRun();
        if (_blockEvents == 0) _blockFirstTick = r.Tick;
        EnsureRoom(128);
        WriteSyscallRecord(in r);
        _eventCount += 2;
        _blockEvents += 2; // the block header and the index count events
        if (_length >= TraceFormat.BlockTarget) FlushBlock();
    }

    /// <summary>
    /// The kernel's counted repeats of the last record: the same bytes as <see cref="EmitSyscall"/> of each, in
    /// order; once the writer counts "again" records at their step, the rest are added to the count at once.
    /// </summary>
    public void EmitSyscallRepeats(in SyscallRecord previous, long count, long tickStep)
    {
        SyscallRecord r = previous;
        for (long i = 0; i < count; i++)
        {
            r.Seq += 2;
            r.Tick += tickStep;
            if (_againCount > 0 && _againStep == tickStep && r.Tick - _againTick == tickStep && !_finished)
            {
                // What EmitSyscall would do with each of the rest: the writer's run holds this record already.
                long rest = count - i;
                _againCount += rest;
                _againTick += rest * tickStep;
                return;
            }
            EmitSyscall(in r);
        }
    }

    // Writes the counted "again" records as EmitSyscall wrote them one at a time: each is the same bytes (the kind
    // and the step), as many as the block takes before it is full; a block that ends inside the run makes the next
    // one a full record again (a block decodes alone).
    private void WriteAgainRun()
    {
        long n = _againCount, step = _againStep;
        long tick = _againTick - (n - 1) * step; // the first one's
        _againCount = 0;
        ulong delta = ZigZag(step);
        int size = 1 + VarintLength(delta);
        while (n > 0)
        {
            if (_blockEvents == 0) _blockFirstTick = tick;
            long m = 1;
            if (_haveLastRecord)
            {
                m = Math.Min(n, (TraceFormat.BlockTarget - _length + size - 1) / size); // _length < BlockTarget here
                EnsureRoom((int)m * size);
                Span<byte> b = _block;
                int at = _length;
                for (long i = 0; i < m; i++)
                {
                    b[at++] = TraceFormat.SyscallAgainKind;
                    at = Varint(b, at, delta);
                }
                _length = at;
                _lastTick = tick + (m - 1) * step;
            }
            else
            {
                EnsureRoom(128);
                WriteSyscallRecord(new SyscallRecord(0, tick, _recPid, _recTid, _recCode, _recArgs, _recResult, 0, null));
            }
            _eventCount += 2 * m;
            _blockEvents += 2 * (int)m;
            tick += m * step;
            n -= m;
            if (_length >= TraceFormat.BlockTarget) FlushBlock();
        }
    }

    private static int VarintLength(ulong value)
    {
        int n = 1;
        for (; value >= 0x80; value >>= 7) n++;
        return n;
    }

    // A full syscall record: the fields of its exit event (no text), the entry's being the same but the result and I/O.
    private void WriteSyscallRecord(in SyscallRecord r)
    {
        int mask = 0;
        if (r.Code != 0) mask |= TraceFormat.HasCode;
        if (r.Args.A0 != 0) mask |= TraceFormat.HasA0;
        if (r.Args.A1 != 0) mask |= TraceFormat.HasA0 << 1;
        if (r.Args.A2 != 0) mask |= TraceFormat.HasA0 << 2;
        if (r.Args.A3 != 0) mask |= TraceFormat.HasA0 << 3;
        if (r.Args.A4 != 0) mask |= TraceFormat.HasA0 << 4;
        if (r.Args.A5 != 0) mask |= TraceFormat.HasA0 << 5;
        if (r.Result != 0) mask |= TraceFormat.HasResult;
        if (r.Instructions != 0) mask |= TraceFormat.HasInstructions;
        if (r.Io is { Count: > 0 }) mask |= TraceFormat.HasIo;
        Span<byte> b = _block;
        int at = _length;
        b[at++] = TraceFormat.SyscallRecordKind;
        at = Varint(b, at, (ulong)mask);
        at = Varint(b, at, ZigZag(r.Tick - _lastTick));
        _lastTick = r.Tick;
        at = Varint(b, at, (uint)r.Pid);
        at = Varint(b, at, (uint)r.Tid);
        if ((mask & TraceFormat.HasCode) != 0) at = Varint(b, at, ZigZag(r.Code));
        if ((mask & TraceFormat.HasA0) != 0) at = Varint(b, at, r.Args.A0);
        if ((mask & (TraceFormat.HasA0 << 1)) != 0) at = Varint(b, at, r.Args.A1);
        if ((mask & (TraceFormat.HasA0 << 2)) != 0) at = Varint(b, at, r.Args.A2);
        if ((mask & (TraceFormat.HasA0 << 3)) != 0) at = Varint(b, at, r.Args.A3);
        if ((mask & (TraceFormat.HasA0 << 4)) != 0) at = Varint(b, at, r.Args.A4);
        if ((mask & (TraceFormat.HasA0 << 5)) != 0) at = Varint(b, at, r.Args.A5);
        if ((mask & TraceFormat.HasResult) != 0) at = Varint(b, at, ZigZag(r.Result));
        _length = at;
        EnsureRoom(16);
        if ((mask & TraceFormat.HasInstructions) != 0) WriteVarint(ZigZag(r.Instructions));
        if ((mask & TraceFormat.HasIo) != 0) WriteIo(r.Io!);
        // Only a record a reader can repeat exactly (no instruction count, no I/O) may be the model of "again".
        _haveLastRecord = r.Instructions == 0 && r.Io is null;
        _recPid = r.Pid;
        _recTid = r.Tid;
        _recCode = r.Code;
        _recResult = r.Result;
        _recArgs = r.Args;
    }

    /// <summary>
    /// Writes the last block, the trailer (the run's outcome and the block index) and the footer (the trailer's
    /// offset), and flushes. Later events are ignored.
    /// </summary>
    public void Finish(RunResult result)
    {
        if (_finished) return;
        if (_againCount > 0) WriteAgainRun();
        FlushBlock();
        _finished = true;
        _length = 0;
        WriteVarint((ulong)_eventCount);
        WriteVarint((ulong)result.Outcome);
        WriteVarint(ZigZag(result.Ticks));
        WriteVarint(ZigZag(result.Switches));
        WriteVarint((ulong)_index.Count);
        long previousOffset = 0, previousTick = 0;
        foreach (BlockInfo b in _index)
        {
            EnsureRoom(48);
            WriteVarint((ulong)(b.Offset - previousOffset));
            WriteVarint((ulong)b.Count);
            WriteVarint((ulong)(b.FirstTick - previousTick));
            WriteVarint((ulong)(b.LastTick - b.FirstTick));
            previousOffset = b.Offset;
            previousTick = b.LastTick;
        }
        long trailerOffset = BytesWritten;
        Span<byte> head = stackalloc byte[5];
        head[0] = TraceFormat.TrailerTag;
        BinaryPrimitives.WriteUInt32LittleEndian(head[1..], (uint)_length);
        _stream.Write(head);
        _stream.Write(_block, 0, _length);
        uint crc = Crc32.Compute(_crc, head[1..], _block.AsSpan(0, _length));
        WriteUInt32(crc);
        BytesWritten += 5 + _length;
        Span<byte> footer = stackalloc byte[TraceFormat.FooterSize];
        BinaryPrimitives.WriteUInt64LittleEndian(footer, (ulong)trailerOffset);
        TraceFormat.FooterMagic.CopyTo(footer[8..]);
        _stream.Write(footer);
        BytesWritten += TraceFormat.FooterSize;
        _stream.Flush();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
    }

    // Writes the block and starts the next from scratch: no tick, string or open syscall carries over, so that a
    // reader can decode any block alone (docs/trace-format.md, "Each block decodes alone").
    private void FlushBlock()
    {
        if (_blockEvents == 0) return;
        long firstSeq = _eventCount - _blockEvents;
        _index.Add(new BlockInfo(BytesWritten, firstSeq, _blockEvents, _blockFirstTick, _lastTick));
        ReadOnlySpan<byte> payload = _block.AsSpan(0, _length);
        TraceCompression codec = TraceCompression.None;
        if (_compression != TraceCompression.None && BlockCodec.Compress(_compression, payload, ref _packed) is var packed and >= 0)
        {
            codec = _compression;
            payload = _packed.AsSpan(0, packed);
        }
        Span<byte> head = stackalloc byte[TraceFormat.BlockHeaderSize];
        head[0] = TraceFormat.BlockTag;
        head[1] = (byte)codec;
        BinaryPrimitives.WriteUInt32LittleEndian(head[2..], (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(head[6..], (uint)_length);
        BinaryPrimitives.WriteUInt32LittleEndian(head[10..], (uint)_blockEvents);
        BinaryPrimitives.WriteUInt64LittleEndian(head[14..], (ulong)firstSeq);
        _stream.Write(head);
        _stream.Write(payload);
        WriteUInt32(Crc32.Compute(_crc, head[1..], payload));
        BytesWritten += TraceFormat.BlockHeaderSize + payload.Length;
        _length = 0;
        _blockEvents = 0;
        _lastTick = 0;
        _strings.Clear();
        _openCalls.Clear();
        _lastTid = 0;
        _lastCalls = null;
        _haveLastRecord = false;
    }

    /// <summary>The CRC of a record: its length/count fields, then its payload.</summary>
    internal static uint Crc32Of(ReadOnlySpan<byte> fields, ReadOnlySpan<byte> payload) =>
        Crc32.Compute(new System.IO.Hashing.Crc32(), fields, payload);

    private void WriteUInt32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _stream.Write(b);
        BytesWritten += 4;
    }

    private void WriteText(string text)
    {
        if (text.Length <= TraceFormat.MaxInternedLength && _strings.TryGetValue(text, out int id))
        {
            WriteVarint((ulong)id + 2);
            return;
        }
        bool intern = text.Length <= TraceFormat.MaxInternedLength;
        if (intern) _strings[text] = _strings.Count;
        WriteVarint(intern ? 1UL : 0UL);
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        EnsureRoom(max + 10);
        int n = Encoding.UTF8.GetByteCount(text);
        WriteVarint((ulong)n);
        _length += Encoding.UTF8.GetBytes(text, _block.AsSpan(_length));
    }

    private void WriteIo(IReadOnlyList<UserIo> io)
    {
        long read = 0;
        bool anyWritten = false;
        for (int i = 0; i < io.Count; i++) // index loops: foreach over the interface would allocate an enumerator
        {
            if (io[i].Written) anyWritten = true;
            else read += io[i].Bytes.Length;
        }
        bool store = read <= _maxStoredReadBytes;
        WriteVarint((ulong)io.Count);
        for (int i = 0; i < io.Count; i++)
        {
            UserIo u = io[i];
            EnsureRoom(32);
            bool bytes = !u.Written && store;
            _block[_length++] = (byte)((u.Written ? TraceFormat.SegmentWritten : 0) | (bytes ? TraceFormat.SegmentBytesStored : 0));
            WriteVarint(u.Address);
            WriteVarint((ulong)u.Bytes.Length);
            if (bytes)
            {
                EnsureRoom(u.Bytes.Length);
                u.Bytes.Span.CopyTo(_block.AsSpan(_length));
                _length += u.Bytes.Length;
            }
        }
        EnsureRoom(16);
        if (!store && read > 0) WriteUInt64(TraceIo.Digest(io, written: false));
        if (anyWritten) WriteUInt64(TraceIo.Digest(io, written: true));
    }

    private void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_block.AsSpan(_length), value);
        _length += 8;
    }

    // LEB128 into b at `at`; returns the position after it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Varint(Span<byte> b, int at, ulong value)
    {
        while (value >= 0x80)
        {
            b[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        b[at++] = (byte)value;
        return at;
    }

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _block[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _block[_length++] = (byte)value;
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private void EnsureRoom(int bytes)
    {
        if (_length + bytes + 16 <= _block.Length) return;
        Array.Resize(ref _block, Math.Max(_block.Length * 2, _length + bytes + 1024));
    }

    // The syscalls of thread tid that entered and have not exited yet. The last thread's stack is kept at hand:
    // a syscall's exit almost always follows its entry on the same thread, so the dictionary is rarely consulted.
    private Stack<CallKey>? OpenCalls(int tid, bool create)
    {
        if (tid == _lastTid && _lastCalls is not null) return _lastCalls;
        if (!_openCalls.TryGetValue(tid, out Stack<CallKey>? stack))
        {
            if (!create) return null;
            _openCalls[tid] = stack = new Stack<CallKey>();
        }
        _lastTid = tid;
        _lastCalls = stack;
        return stack;
    }

    private readonly record struct CallKey(long Code, ulong A0, ulong A1, ulong A2, ulong A3, ulong A4, ulong A5);
}
