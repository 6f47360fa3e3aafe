using Google.Protobuf;
using MicroKernel.Sim.Perfetto.Protos;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// Writes Perfetto TracePackets to a stream one at a time, as a <c>Trace</c> message's repeated field 1 (each
/// packet: tag, length, bytes), so nothing is buffered beyond the current packet. It keeps what Perfetto asks of a
/// packet sequence: every packet carries <see cref="Sequence"/> as its trusted_packet_sequence_id; the first one
/// says the sequence's incremental state is cleared (and that it is the first on the sequence); names, categories
/// and argument names are interned (an iid is defined in the interned_data of the first packet that uses it, and
/// every event packet says it needs that state).
/// </summary>
internal sealed class PerfettoPacketWriter : IDisposable
{
    /// <summary>The one packet sequence of an export (any nonzero id would do).</summary>
    public const uint Sequence = 1;

    private readonly CodedOutputStream _out;
    private readonly Dictionary<string, ulong> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _categories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _argNames = new(StringComparer.Ordinal);
    private bool _first = true;
    private ulong _nextTrack = 1;

    /// <summary>Writes to <paramref name="output"/> (left open; <see cref="Dispose"/> flushes).</summary>
    public PerfettoPacketWriter(Stream output) => _out = new CodedOutputStream(output, 1 << 16, leaveOpen: true);

    /// <summary>Packets written so far.</summary>
    public long Packets { get; private set; }

    /// <summary>A process's track: its pid and name (ProcessDescriptor). Returns the track's uuid.</summary>
    public ulong ProcessTrack(int pid, string? name)
    {
        var process = new ProcessDescriptor { Pid = pid };
        if (name is not null) process.ProcessName = name;
        return Track(new TrackDescriptor { Process = process });
    }

    /// <summary>A thread's track: its pid, tid and name (ThreadDescriptor). Returns the track's uuid.</summary>
    public ulong ThreadTrack(int pid, int tid, string? name)
    {
        var thread = new ThreadDescriptor { Pid = pid, Tid = tid };
        if (name is not null) thread.ThreadName = name;
        return Track(new TrackDescriptor { Thread = thread });
    }

    /// <summary>A named track of its own under <paramref name="parent"/> (a process's track). Returns its uuid.</summary>
    public ulong ChildTrack(ulong parent, string name) => Track(new TrackDescriptor { ParentUuid = parent, Name = name });

    private ulong Track(TrackDescriptor descriptor)
    {
        descriptor.Uuid = _nextTrack++;
        Write(new TracePacket { TrackDescriptor = descriptor });
        return descriptor.Uuid;
    }

    /// <summary>Opens a slice on <paramref name="track"/> at <paramref name="ns"/>; flows may start (or end) at it.</summary>
    public void Begin(ulong track, long ns, string name, string category, IReadOnlyList<ulong>? flows = null, IReadOnlyList<ulong>? terminating = null) =>
        Event(TrackEvent.Types.Type.SliceBegin, track, ns, name, category, flows, terminating, []);

    /// <summary>
    /// Closes the innermost open slice on <paramref name="track"/> at <paramref name="ns"/>, with the slice's
    /// arguments (Perfetto merges them into the slice) and the flows that start or end at it.
    /// </summary>
    public void End(ulong track, long ns, ReadOnlySpan<(string Key, Arg Value)> args, IReadOnlyList<ulong>? flows = null, IReadOnlyList<ulong>? terminating = null) =>
        Event(TrackEvent.Types.Type.SliceEnd, track, ns, null, null, flows, terminating, args);

    /// <summary>An instant event on <paramref name="track"/>.</summary>
    public void Instant(ulong track, long ns, string name, string category, ReadOnlySpan<(string Key, Arg Value)> args) =>
        Event(TrackEvent.Types.Type.Instant, track, ns, name, category, null, null, args);

    private void Event(TrackEvent.Types.Type type, ulong track, long ns, string? name, string? category, IReadOnlyList<ulong>? flows,
        IReadOnlyList<ulong>? terminating, ReadOnlySpan<(string Key, Arg Value)> args)
    {
        var packet = new TracePacket { Timestamp = (ulong)ns, SequenceFlags = (uint)TracePacket.Types.SequenceFlags.SeqNeedsIncrementalState };
        var e = new TrackEvent { Type = type, TrackUuid = track };
        if (name is not null) e.NameIid = Intern(_names, name, packet, static (d, iid, s) => d.EventNames.Add(new EventName { Iid = iid, Name = s }));
        if (category is not null) e.CategoryIids.Add(Intern(_categories, category, packet, static (d, iid, s) => d.EventCategories.Add(new EventCategory { Iid = iid, Name = s })));
        if (flows is not null) e.FlowIds.AddRange(flows);
        if (terminating is not null) e.TerminatingFlowIds.AddRange(terminating);
        foreach ((string key, Arg value) in args)
        {
            var a = new DebugAnnotation { NameIid = Intern(_argNames, key, packet, static (d, iid, s) => d.DebugAnnotationNames.Add(new DebugAnnotationName { Iid = iid, Name = s })) };
            if (value.Text is not null) a.StringValue = value.Text;
            else a.IntValue = value.Number;
            e.DebugAnnotations.Add(a);
        }
        packet.TrackEvent = e;
        Write(packet);
    }

    // The iid of a string in one interning table; a new one is defined in this packet's interned_data.
    private static ulong Intern(Dictionary<string, ulong> table, string s, TracePacket packet, Action<InternedData, ulong, string> define)
    {
        if (table.TryGetValue(s, out ulong iid)) return iid;
        iid = (ulong)table.Count + 1; // iid 0 means "none"
        table[s] = iid;
        define(packet.InternedData ??= new InternedData(), iid, s);
        return iid;
    }

    private void Write(TracePacket packet)
    {
        packet.TrustedPacketSequenceId = Sequence;
        if (_first)
        {
            // Nothing before this packet on the sequence: Perfetto may use the interned data that follows.
            packet.FirstPacketOnSequence = true;
            packet.SequenceFlags |= (uint)TracePacket.Types.SequenceFlags.SeqIncrementalStateCleared;
            _first = false;
        }
        _out.WriteTag(1, WireFormat.WireType.LengthDelimited); // Trace.packet
        _out.WriteMessage(packet);
        Packets++;
    }

    /// <summary>Flushes what is buffered to the stream.</summary>
    public void Dispose() => _out.Flush();

    /// <summary>An argument's value: text, or (when <see cref="Text"/> is null) a number.</summary>
    /// <param name="Text">The text, or null for a number.</param>
    /// <param name="Number">The number.</param>
    public readonly record struct Arg(string? Text, long Number)
    {
        /// <summary>A text argument.</summary>
        public static implicit operator Arg(string text) => new(text, 0);

        /// <summary>A number argument.</summary>
        public static implicit operator Arg(long number) => new(null, number);
    }
}
