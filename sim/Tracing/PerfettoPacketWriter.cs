using Google.Protobuf;
using MicroKernel.Sim.Perfetto.Protos;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// Writes Perfetto TracePackets to a stream one at a time, as a <c>Trace</c> message's repeated field 1 (each
/// packet: tag, length, bytes), so nothing is buffered beyond the current packet. It keeps what Perfetto asks of a
/// packet sequence: every packet carries <see cref="Sequence"/> as its trusted_packet_sequence_id; the first one
/// says the sequence's incremental state is cleared (and that it is the first on the sequence); event names,
/// categories, argument names and argument text are interned (an iid is defined in the interned_data of the first
/// packet that uses it, and every event packet says it needs that state). The tables are bounded, as a Perfetto
/// producer's are: past <see cref="MaxInterned"/> strings the writer clears them, and the next packet says the
/// incremental state was cleared again and defines afresh what it uses.
/// </summary>
internal sealed class PerfettoPacketWriter : IDisposable
{
    /// <summary>The one packet sequence of an export (any nonzero id would do).</summary>
    public const uint Sequence = 1;

    private readonly CodedOutputStream _out;
    private readonly Dictionary<string, ulong> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _categories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _argNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _argValues = new(StringComparer.Ordinal);
    private readonly int _maxInterned;
    private readonly TracePacket _packet = new();
    private readonly TrackEvent _event = new();
    private readonly List<DebugAnnotation> _annotations = [];
    private bool _clear = true;
    private bool _first = true;
    private ulong _nextTrack = 1;

    /// <summary>The default bound of the interning tables (strings in all), which bounds the writer's memory.</summary>
    public const int MaxInterned = 1 << 14;

    /// <summary>
    /// Writes to <paramref name="output"/> (left open; <see cref="Dispose"/> flushes), interning at most
    /// <paramref name="maxInterned"/> strings between two clears.
    /// </summary>
    public PerfettoPacketWriter(Stream output, int maxInterned = MaxInterned)
    {
        _out = new CodedOutputStream(output, 1 << 16, leaveOpen: true);
        _maxInterned = Math.Max(8, maxInterned);
    }

    /// <summary>Packets written so far.</summary>
    public long Packets { get; private set; }

    /// <summary>How many times the interning tables were cleared after the first packet.</summary>
    public long Clears { get; private set; }

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
        // Before the tables can overflow in this packet (at most 3 + args strings): start them afresh.
        if (_names.Count + _categories.Count + _argNames.Count + _argValues.Count + 3 + 2 * args.Length > _maxInterned)
        {
            _names.Clear();
            _categories.Clear();
            _argNames.Clear();
            _argValues.Clear();
            _clear = true;
            Clears++;
        }
        // One packet, one event and a pool of annotations, refilled for every event: the writer allocates only
        // what it interns.
        TracePacket packet = _packet;
        TrackEvent e = _event;
        packet.Timestamp = (ulong)ns;
        packet.SequenceFlags = (uint)TracePacket.Types.SequenceFlags.SeqNeedsIncrementalState;
        packet.InternedData = null;
        e.Type = type;
        e.TrackUuid = track;
        e.ClearNameField();
        e.CategoryIids.Clear();
        e.FlowIds.Clear();
        e.TerminatingFlowIds.Clear();
        e.DebugAnnotations.Clear();
        if (name is not null) e.NameIid = Intern(_names, name, packet, static (d, iid, s) => d.EventNames.Add(new EventName { Iid = iid, Name = s }));
        if (category is not null) e.CategoryIids.Add(Intern(_categories, category, packet, static (d, iid, s) => d.EventCategories.Add(new EventCategory { Iid = iid, Name = s })));
        if (flows is not null) e.FlowIds.AddRange(flows);
        if (terminating is not null) e.TerminatingFlowIds.AddRange(terminating);
        for (int i = 0; i < args.Length; i++)
        {
            (string key, Arg value) = args[i];
            if (i == _annotations.Count) _annotations.Add(new DebugAnnotation());
            DebugAnnotation a = _annotations[i];
            a.NameIid = Intern(_argNames, key, packet, static (d, iid, s) => d.DebugAnnotationNames.Add(new DebugAnnotationName { Iid = iid, Name = s }));
            if (value.Text is not null) a.StringValueIid = Intern(_argValues, value.Text, packet, static (d, iid, s) => d.DebugAnnotationStringValues.Add(new InternedString { Iid = iid, Str = ByteString.CopyFromUtf8(s) }));
            else a.IntValue = value.Number; // setting one member of the value oneof clears the other
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
        define(packet.InternedData ??= new InternedData(), iid, s); // new strings are rare: a fresh message each time
        return iid;
    }

    private void Write(TracePacket packet)
    {
        packet.TrustedPacketSequenceId = Sequence;
        if (_first)
        {
            packet.FirstPacketOnSequence = true;
            _first = false;
        }
        else packet.ClearFirstPacketOnSequence();
        if (_clear)
        {
            // Nothing interned before this packet is used from here on: Perfetto may drop its old tables.
            packet.SequenceFlags |= (uint)TracePacket.Types.SequenceFlags.SeqIncrementalStateCleared;
            _clear = false;
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
