using System.Globalization;
using System.Text.Json;
using MicroKernel.Sim.Perfetto.Protos;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// What Perfetto would show of an export, read back from either format into one model, so that the two exports can be
/// compared: tracks named "pid/name" (a process's own track is "pid/"), complete slices, instants and flows between
/// slices. A slice is named by its key "track | name @ ts".
/// </summary>
internal sealed class PerfettoModel
{
    public SortedSet<string> Tracks { get; } = new(StringComparer.Ordinal);
    public List<string> Slices { get; } = [];
    public List<string> Instants { get; } = [];
    public List<string> Flows { get; } = [];

    /// <summary>Packets that cleared the sequence's incremental state (the proto export only; the first one too).</summary>
    public int Clears { get; private set; }

    // A TrackEvent with its interned strings looked up.
    private sealed record Resolved(TrackEvent.Types.Type Type, string Track, ulong Uuid, string? Name, string? Category,
        List<KeyValuePair<string, string>> Args, ulong[] FlowIds, ulong[] TerminatingFlowIds);

    /// <summary>Slices that began and never ended (the proto export only): their keys.</summary>
    public List<string> Unended { get; } = [];

    private static string Key(string track, string name, long ts) => string.Create(CultureInfo.InvariantCulture, $"{track} | {name} @ {ts}");

    private static string Args(IEnumerable<KeyValuePair<string, string>> args) =>
        string.Join(", ", args.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"));

    /// <summary>
    /// Reads the JSON export as Perfetto's JSON importer does: names from "M" events, "X" slices, "i" instants (scope
    /// "g" on the kernel's track, "p" on the process's), and each "s"/"f" pair bound to the innermost slice around it.
    /// </summary>
    public static PerfettoModel FromJson(JsonDocument doc)
    {
        var m = new PerfettoModel();
        var threadNames = new Dictionary<(int, int), string>();
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        foreach (JsonElement e in events.Where(e => e.GetProperty("ph").GetString() == "M"))
        {
            string name = e.GetProperty("args").GetProperty("name").GetString()!;
            int pid = e.GetProperty("pid").GetInt32();
            if (e.GetProperty("name").GetString() == "process_name") m.Tracks.Add($"{pid}/");
            else
            {
                threadNames[(pid, e.GetProperty("tid").GetInt32())] = name;
                m.Tracks.Add($"{pid}/{name}");
            }
        }
        string Track(JsonElement e)
        {
            int pid = e.GetProperty("pid").GetInt32(), tid = e.GetProperty("tid").GetInt32();
            return $"{pid}/{threadNames.GetValueOrDefault((pid, tid)) ?? $"tid {tid}"}";
        }
        static long Ns(JsonElement e, string p) => (long)Math.Round(e.GetProperty(p).GetDouble() * 1000);
        static string Args(JsonElement e) => PerfettoModel.Args(e.GetProperty("args").EnumerateObject()
            .Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetInt64().ToString(CultureInfo.InvariantCulture) : p.Value.GetString()!)));

        var slices = new List<(string Track, string Name, long Ts, long End)>();
        var flowEnds = new Dictionary<long, (string Track, long Ts, string Phase)[]>();
        foreach (JsonElement e in events)
        {
            string ph = e.GetProperty("ph").GetString()!;
            string name = e.GetProperty("name").GetString()!;
            switch (ph)
            {
                case "X":
                    slices.Add((Track(e), name, Ns(e, "ts"), Ns(e, "ts") + Ns(e, "dur")));
                    m.Slices.Add($"{Key(Track(e), name, Ns(e, "ts"))} +{Ns(e, "dur")} [{e.GetProperty("cat").GetString()}] {Args(e)}");
                    break;
                case "i":
                {
                    string scope = e.GetProperty("s").GetString()!;
                    string track = scope switch { "g" => "1000000/", "p" => $"{e.GetProperty("pid").GetInt32()}/", _ => Track(e) };
                    m.Instants.Add($"{Key(track, name, Ns(e, "ts"))} [{e.GetProperty("cat").GetString()}] {Args(e)}");
                    break;
                }
                case "s" or "f":
                {
                    long id = e.GetProperty("id").GetInt64();
                    var end = (Track(e), Ns(e, "ts"), ph);
                    flowEnds[id] = flowEnds.TryGetValue(id, out var other) ? [.. other, end] : [end];
                    break;
                }
            }
        }
        string Bound(string track, long ts)
        {
            // The innermost slice on the track around ts: the latest-starting one that contains it.
            var around = slices.Where(s => s.Track == track && s.Ts < ts && ts < s.End).OrderByDescending(s => s.Ts).ToList();
            around.ShouldNotBeEmpty($"a flow at {ts} on {track} binds to no slice");
            return Key(track, around[0].Name, around[0].Ts);
        }
        foreach ((long id, var ends) in flowEnds)
        {
            ends.Length.ShouldBe(2, $"flow {id}");
            var s = ends.Single(x => x.Phase == "s");
            var f = ends.Single(x => x.Phase == "f");
            m.Flows.Add($"{Bound(s.Track, s.Ts)} -> {Bound(f.Track, f.Ts)}");
        }
        return m;
    }

    /// <summary>
    /// Reads the proto export as Perfetto's importer does: track descriptors; events sorted by timestamp (ties in file
    /// order); BEGIN/END pairs per track form slices whose arguments are the two events' merged; the earliest event
    /// carrying a flow id is the flow's source, a terminating id its end. Checks the sequence rules on the way: one
    /// trusted sequence, the first packet clears incremental state, every iid is defined before (or in) the packet
    /// that uses it, every event's track is described before it.
    /// </summary>
    public static PerfettoModel FromProto(Stream input)
    {
        var m = new PerfettoModel();
        Sim.Perfetto.Protos.Trace trace = Sim.Perfetto.Protos.Trace.Parser.ParseFrom(input);
        trace.Packet.ShouldNotBeEmpty();
        TracePacket first = trace.Packet[0];
        first.FirstPacketOnSequence.ShouldBeTrue();
        (first.SequenceFlags & (uint)TracePacket.Types.SequenceFlags.SeqIncrementalStateCleared).ShouldNotBe(0u);

        var tracks = new Dictionary<ulong, string>();
        var names = new Dictionary<ulong, string>();
        var categories = new Dictionary<ulong, string>();
        var argNames = new Dictionary<ulong, string>();
        var argValues = new Dictionary<ulong, string>();
        var events = new List<(long Ts, int Order, Resolved Event)>();
        static void Define(Dictionary<ulong, string> table, ulong iid, string value)
        {
            iid.ShouldNotBe(0ul);
            table.TryAdd(iid, value).ShouldBeTrue($"iid {iid} defined twice");
        }
        foreach (TracePacket p in trace.Packet)
        {
            p.TrustedPacketSequenceId.ShouldBe(1u);
            if ((p.SequenceFlags & (uint)TracePacket.Types.SequenceFlags.SeqIncrementalStateCleared) != 0)
            {
                m.Clears++;
                names.Clear();
                categories.Clear();
                argNames.Clear();
                argValues.Clear();
            }
            if (p.InternedData is { } d)
            {
                foreach (EventName n in d.EventNames) Define(names, n.Iid, n.Name);
                foreach (EventCategory c in d.EventCategories) Define(categories, c.Iid, c.Name);
                foreach (DebugAnnotationName a in d.DebugAnnotationNames) Define(argNames, a.Iid, a.Name);
                foreach (InternedString v in d.DebugAnnotationStringValues) Define(argValues, v.Iid, v.Str.ToStringUtf8());
            }
            if (p.TrackDescriptor is { } t)
            {
                string name = t.Process is { } proc ? $"{proc.Pid}/"
                    : t.Thread is { } th ? $"{th.Pid}/{(th.HasThreadName ? th.ThreadName : $"tid {th.Tid}")}"
                    : tracks[t.ParentUuid] + t.Name;
                tracks.TryAdd(t.Uuid, name).ShouldBeTrue($"track {t.Uuid} described twice");
                // A process or thread met before its start event is not named: the JSON export names neither.
                if (t.Process is not { HasProcessName: false } && t.Thread is not { HasThreadName: false }) m.Tracks.Add(name);
            }
            if (p.TrackEvent is { } e)
            {
                // Interned strings are looked up now: a later clear makes their iids mean something else.
                (p.SequenceFlags & (uint)TracePacket.Types.SequenceFlags.SeqNeedsIncrementalState).ShouldNotBe(0u);
                tracks.ShouldContainKey(e.TrackUuid);
                string? name = e.HasNameIid ? names[e.NameIid] : null;
                string? category = e.CategoryIids.Count > 0 ? categories[e.CategoryIids.Single()] : null;
                var args = e.DebugAnnotations.Select(a => KeyValuePair.Create(argNames[a.NameIid],
                    a.HasStringValueIid ? argValues[a.StringValueIid] : a.HasStringValue ? a.StringValue : a.IntValue.ToString(CultureInfo.InvariantCulture))).ToList();
                events.Add(((long)p.Timestamp, events.Count, new Resolved(e.Type, tracks[e.TrackUuid], e.TrackUuid, name, category, args, [.. e.FlowIds], [.. e.TerminatingFlowIds])));
            }
        }

        var open = new Dictionary<ulong, Stack<(string Name, string Cat, long Ts, Resolved Begin)>>();
        var flowSource = new Dictionary<ulong, string>();
        void Flows(Resolved e, string slice)
        {
            foreach (ulong id in e.FlowIds) flowSource.TryAdd(id, slice).ShouldBeTrue($"flow {id} passes through {slice}: not a flow we write");
            foreach (ulong id in e.TerminatingFlowIds)
                if (flowSource.Remove(id, out string? from)) m.Flows.Add($"{from} -> {slice}");
                else throw new ShouldAssertException($"flow {id} ends at {slice} before it starts");
        }
        foreach ((long ts, _, Resolved e) in events.OrderBy(x => x.Ts).ThenBy(x => x.Order))
        {
            string track = e.Track;
            if (!open.TryGetValue(e.Uuid, out var stack)) open[e.Uuid] = stack = new();
            switch (e.Type)
            {
                case TrackEvent.Types.Type.SliceBegin:
                    stack.Push((e.Name!, e.Category!, ts, e));
                    Flows(e, Key(track, e.Name!, ts));
                    break;
                case TrackEvent.Types.Type.SliceEnd:
                {
                    stack.ShouldNotBeEmpty($"an END at {ts} on {track} with no open slice");
                    var b = stack.Pop();
                    m.Slices.Add($"{Key(track, b.Name, b.Ts)} +{ts - b.Ts} [{b.Cat}] {Args(b.Begin.Args.Concat(e.Args))}");
                    Flows(e, Key(track, b.Name, b.Ts));
                    break;
                }
                case TrackEvent.Types.Type.Instant:
                    m.Instants.Add($"{Key(track, e.Name!, ts)} [{e.Category}] {Args(e.Args)}");
                    break;
                default:
                    throw new ShouldAssertException($"unexpected event type {e.Type}");
            }
        }
        foreach ((ulong uuid, var stack) in open)
            foreach (var b in stack) m.Unended.Add($"{Key(tracks[uuid], b.Name, b.Ts)} [{b.Cat}]");
        return m;
    }
}
