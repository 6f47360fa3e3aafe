using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>One event of a trace: the kernel's event (its <see cref="KernelEvent.Io"/> left null) and its I/O summary.</summary>
/// <param name="Event">The event's fields.</param>
/// <param name="Io">For syscall exits that touched user memory: what they read and wrote; else null.</param>
internal sealed record TraceEvent(KernelEvent Event, TraceIo? Io)
{
    /// <summary>
    /// The trace form of a live event: digests of its I/O, and the bytes it read when they fit in
    /// <paramref name="maxStoredReadBytes"/> (0 = keep none, as the replay checker does).
    /// </summary>
    public static TraceEvent From(KernelEvent e, int maxStoredReadBytes) =>
        new(e.Io is null ? e : e with { Io = null }, TraceIo.From(e.Io, maxStoredReadBytes));

    /// <summary>
    /// The fields in which <paramref name="replayed"/> differs from this (recorded) event, as
    /// "field: recorded X, replayed Y"; empty when they match.
    /// </summary>
    public List<string> Differences(TraceEvent replayed)
    {
        var d = new List<string>();
        KernelEvent a = Event, b = replayed.Event;
        void Check<T>(string name, T x, T y)
        {
            if (!EqualityComparer<T>.Default.Equals(x, y)) d.Add($"{name}: recorded {Show(x)}, replayed {Show(y)}");
        }
        static string Show<T>(T value) => value switch
        {
            ulong u when u >= 0x10000 => $"0x{u:x}",
            long l when l >= 0x10000 => $"0x{l:x}",
            string s => $"\"{s}\"",
            null => "null",
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
        };
        Check("seq", a.Seq, b.Seq);
        Check("tick", a.Tick, b.Tick);
        Check("kind", a.Kind, b.Kind);
        Check("pid", a.Pid, b.Pid);
        Check("tid", a.Tid, b.Tid);
        Check("code", a.Code, b.Code);
        Check("a0", a.A0, b.A0);
        Check("a1", a.A1, b.A1);
        Check("a2", a.A2, b.A2);
        Check("a3", a.A3, b.A3);
        Check("a4", a.A4, b.A4);
        Check("a5", a.A5, b.A5);
        Check("result", a.Result, b.Result);
        Check("text", a.Text, b.Text);
        Check("instructions", a.Instructions, b.Instructions);
        string ioA = Io?.Describe() ?? "none", ioB = replayed.Io?.Describe() ?? "none";
        if (ioA != ioB) d.Add($"user memory: recorded {ioA}, replayed {ioB}");
        return d;
    }
}

/// <summary>What a syscall read from and wrote to user memory, in order, with the digest of each direction.</summary>
/// <param name="Segments">The copies, in the order the syscall made them.</param>
/// <param name="ReadDigest">FNV-1a 64 of the read segments (0 when it read nothing).</param>
/// <param name="WrittenDigest">FNV-1a 64 of the written segments (0 when it wrote nothing).</param>
internal sealed record TraceIo(IReadOnlyList<IoSegment> Segments, ulong ReadDigest, ulong WrittenDigest)
{
    /// <summary>Bytes read in all.</summary>
    public long ReadBytes => Segments.Where(s => !s.Written).Sum(s => (long)s.Length);

    /// <summary>Bytes written in all.</summary>
    public long WrittenBytes => Segments.Where(s => s.Written).Sum(s => (long)s.Length);

    /// <summary>True when every read segment's bytes are in the trace (a puppet can feed them back).</summary>
    public bool ReadBytesStored => Segments.All(s => s.Written || s.Bytes is not null);

    /// <summary>The I/O of a live event, or null when it touched no user memory.</summary>
    public static TraceIo? From(IReadOnlyList<UserIo>? io, int maxStoredReadBytes)
    {
        if (io is null || io.Count == 0) return null;
        long read = 0;
        foreach (UserIo u in io) if (!u.Written) read += u.Bytes.Length;
        bool store = read <= maxStoredReadBytes;
        var segments = new IoSegment[io.Count];
        for (int i = 0; i < io.Count; i++)
        {
            UserIo u = io[i];
            segments[i] = new IoSegment(u.Address, u.Bytes.Length, u.Written, !u.Written && store ? u.Bytes.ToArray() : null);
        }
        return new TraceIo(segments, Digest(io, written: false), Digest(io, written: true));
    }

    /// <summary>
    /// The digest of one direction: FNV-1a 64 over, for each segment in order, its address (8 bytes LE), its length
    /// (8 bytes LE) and its bytes; 0 when there is no segment in that direction.
    /// </summary>
    public static ulong Digest(IReadOnlyList<UserIo> io, bool written)
    {
        ulong h = Fnv1a64.Basis;
        bool any = false;
        for (int i = 0; i < io.Count; i++) // an index loop: foreach over the interface would allocate an enumerator
        {
            UserIo u = io[i];
            if (u.Written != written) continue;
            any = true;
            h = Fnv1a64.Append(Fnv1a64.Append(Fnv1a64.Append(h, u.Address), (ulong)u.Bytes.Length), u.Bytes.Span);
        }
        return any ? h : 0;
    }

    /// <summary>The read digest recomputed from stored bytes (only when <see cref="ReadBytesStored"/>).</summary>
    public static ulong ReadDigestOf(IEnumerable<IoSegment> segments)
    {
        ulong h = Fnv1a64.Basis;
        bool any = false;
        foreach (IoSegment s in segments)
        {
            if (s.Written) continue;
            any = true;
            h = Fnv1a64.Append(Fnv1a64.Append(Fnv1a64.Append(h, s.Address), (ulong)s.Length), s.Bytes ?? []);
        }
        return any ? h : 0;
    }

    /// <summary>"read 47 B #1a2b.. wrote 8 B #.." for reports and comparisons.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        foreach (IoSegment s in Segments) parts.Add($"{(s.Written ? "wrote" : "read")} {s.Length} B at 0x{s.Address:x}");
        if (ReadDigest != 0) parts.Add($"read digest {ReadDigest:x16}");
        if (WrittenDigest != 0) parts.Add($"written digest {WrittenDigest:x16}");
        return string.Join(", ", parts);
    }
}

/// <summary>One copy between a syscall and user memory.</summary>
/// <param name="Address">The user address.</param>
/// <param name="Length">Bytes copied.</param>
/// <param name="Written">True when the kernel wrote user memory (copy_to_user).</param>
/// <param name="Bytes">The bytes read, when the trace stores them; null for written segments and large reads.</param>
internal sealed record IoSegment(ulong Address, int Length, bool Written, byte[]? Bytes);
