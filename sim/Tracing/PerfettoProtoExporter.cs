using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using Arg = MicroKernel.Sim.Tracing.PerfettoPacketWriter.Arg;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// Writes a trace in Perfetto's own protobuf format (TracePacket / TrackEvent; the .proto files are in sim/Protos):
/// the same tracks, slices, instants and flows as the JSON export (<see cref="PerfettoExporter"/>, whose comment
/// says what they show), written as the events are read. A slice is a TYPE_SLICE_BEGIN when it starts and a
/// TYPE_SLICE_END, carrying its arguments, when it ends, so nothing waits for the end of the trace: a slice that
/// never ends (a thread alive when the run stopped) stays open, and Perfetto draws it to the end of the trace (the
/// JSON export, whose slices are complete events, leaves those out).
/// Tracks: one per process (ProcessDescriptor) and per thread (ThreadDescriptor); an RPC method's slices go on a
/// named track of its own in the callee's process ("rpc: tid T of pid P"); the kernel is a process ("kernel") with a
/// named CPU track ("cpu (who runs)"), and its global instants go on the kernel's process track.
/// Flows: Perfetto ties a flow to the slice of the events that carry its id, and its source is the earliest of them,
/// so an id goes on an event of the cause's slice before any event of the effect's slice: on the send's END (a
/// delivery comes later), on the BEGIN of each thread_create, rpc_call, shm_send and shm_call (the effect may start
/// inside them), and on the
/// END of the call that notified (it returns before the wait it ended does); the effect's event terminates it.
/// Time is the JSON export's (<see cref="PerfettoClock"/>); 1 tick = 1 µs unless a tick holds more than 250 events.
/// </summary>
internal sealed class PerfettoProtoExporter
{
    private readonly PerfettoPacketWriter _w;
    private readonly EventFormatter _formatter;
    private readonly PerfettoClock _clock;
    private readonly ulong _kernel, _cpu;
    private readonly Dictionary<int, ulong> _processes = [];
    private readonly Dictionary<(int Pid, int Tid), ulong> _threads = [];
    private readonly Dictionary<(int Pid, int Tid), ulong> _rpc = [];
    private readonly Dictionary<int, int> _owner = [];             // tid -> the process it belongs to
    private readonly Dictionary<int, string> _processName = [];
    private readonly Dictionary<int, string> _threadName = [];     // tid -> its name on the CPU track
    private readonly Dictionary<int, Stack<Open>> _open = [];      // per tid: open syscalls, handler runs, rpc methods
    private readonly Dictionary<int, Open> _life = [];             // per tid: the slice of its life
    private readonly PerfettoSends<ulong[]> _sends = new();       // sends in flight: the flow id to each receiver
    private readonly Dictionary<int, ulong> _creates = [];         // new tid -> the flow from its thread_create
    private ulong _flows;

    private PerfettoProtoExporter(PerfettoPacketWriter w, EventFormatter formatter, PerfettoClock clock)
    {
        _w = w;
        _formatter = formatter;
        _clock = clock;
        _kernel = w.ProcessTrack(PerfettoExporter.KernelPid, "kernel");
        _processes[PerfettoExporter.KernelPid] = _kernel;
        _cpu = w.ChildTrack(_kernel, "cpu (who runs)");
    }

    /// <summary>
    /// Writes <paramref name="events"/> (in sequence order) to <paramref name="output"/>. The events are read twice
    /// (<see cref="PerfettoClock.Measure"/>, then the export), one at a time: a source that reads the trace file
    /// block by block keeps the export's memory flat. <paramref name="maxInterned"/> bounds the interning tables
    /// (<see cref="PerfettoPacketWriter"/>). Returns the number of events exported.
    /// </summary>
    public static long Export(IEnumerable<TraceEvent> events, Stream output, EventFormatter formatter, int maxInterned = PerfettoPacketWriter.MaxInterned)
    {
        PerfettoClock clock = PerfettoClock.Measure(events);
        using var w = new PerfettoPacketWriter(output, maxInterned);
        return new PerfettoProtoExporter(w, formatter, clock).Run(events);
    }

    private long Run(IEnumerable<TraceEvent> events)
    {
        long count = 0, ts = 0;
        // The CPU track: who runs from time 0 until the first switch (the first dispatch has no event).
        int cpuTid = _clock.FirstThread;
        bool cpuOpen = cpuTid != 0;
        long cpuSince = 0;
        string cpuWhy = "start";
        if (cpuOpen) _w.Begin(_cpu, 0, _clock.FirstThreadName, "sched");

        foreach (TraceEvent te in events)
        {
            KernelEvent e = te.Event;
            ts = _clock.Next(e.Tick);
            count++;
            Stack<Open> stack = Stack(e.Tid);
            switch (e.Kind)
            {
                case EventKind.ProcessStart:
                    _processName[e.Pid] = e.Text ?? "";
                    if (!_processes.ContainsKey(e.Pid)) _processes[e.Pid] = _w.ProcessTrack(e.Pid, $"{e.Text} (pid {e.Pid})");
                    break;
                case EventKind.ThreadStart:
                {
                    _owner[e.Tid] = e.Pid;
                    _threadName[e.Tid] = PerfettoClock.ThreadName(_processName, e);
                    Process(e.Pid);
                    if (!_threads.TryGetValue((e.Pid, e.Tid), out ulong track))
                        _threads[(e.Pid, e.Tid)] = track = _w.ThreadTrack(e.Pid, e.Tid, $"{e.Text} (tid {e.Tid})");
                    _life[e.Tid] = new Open("thread", e, ts, track);
                    _w.Begin(track, ts, e.Text ?? "thread", "thread");
                    break;
                }
                case EventKind.SyscallEnter:
                {
                    var call = new Open("syscall", e, ts, Track(e.Pid, e.Tid));
                    // A thread_create or rpc_call is the source of the flow to what it starts, which begins inside it.
                    if (e.Code is (long)SyscallNumber.ThreadCreate or (long)SyscallNumber.RpcCall) call.StartFlow = ++_flows;
                    // A shm_send or shm_call to a known peer: its segment handler may run before the call returns, so
                    // its flow starts here (docs/shmem.md).
                    ulong shmFlow = _sends.Enter(e, () => [++_flows])?.Source[0] ?? 0;
                    stack.Push(call);
                    ulong first = call.StartFlow != 0 ? call.StartFlow : shmFlow;
                    _w.Begin(call.Track, ts, _formatter.SyscallName(e.Code), "syscall", first != 0 ? [first] : null);
                    break;
                }
                case EventKind.SyscallExit when stack.Count > 0 && stack.Peek().Kind == "syscall":
                {
                    Open call = stack.Pop();
                    List<ulong>? flows = call.EndFlows;
                    // A send reaches up to Result receivers: one flow to each, from the send's end.
                    if (_sends.Exit(e, call.Start.Seq, NewFlows) is { } send) (flows ??= []).AddRange(send.Source);
                    if (e.Code == (long)SyscallNumber.ThreadCreate && e.Result > 0 && call.StartFlow != 0) _creates[(int)e.Result] = call.StartFlow;
                    _w.End(call.Track, ts, [("seq", e.Seq), ("call", _formatter.FormatCall(e)), ("result", EventFormatter.FormatResult(e.Result))],
                        flows, call.Woken);
                    break;
                }
                case EventKind.Upcall:
                {
                    var run = new Open("handler", e, ts, Track(e.Pid, e.Tid));
                    stack.Push(run);
                    _w.Begin(run.Track, ts, HandlerName(e), "handler");
                    break;
                }
                case EventKind.RpcEnter:
                {
                    var method = new Open("rpc", e, ts, Track(e.Pid, e.Tid));
                    // The caller's rpc_call: the innermost open slice on the calling track (its own, or the rpc track
                    // of the method that called).
                    ulong callerTrack = Track((int)e.A4, e.Tid);
                    Open? caller = stack.FirstOrDefault(o => o.Track == callerTrack);
                    ulong flow = caller?.StartFlow ?? 0;
                    if (caller is not null) caller.StartFlow = 0; // one method per rpc_call
                    stack.Push(method);
                    _w.Begin(method.Track, ts, RpcName(e), "rpc", null, flow != 0 ? [flow] : null);
                    break;
                }
                case EventKind.RpcReturn when stack.Count > 0 && stack.Peek().Kind == "rpc":
                {
                    Open method = stack.Pop();
                    KernelEvent enter = method.Start;
                    _w.End(method.Track, ts, [("seq", enter.Seq), ("from pid", enter.A4.ToString(CultureInfo.InvariantCulture)), ("depth", enter.A2.ToString(CultureInfo.InvariantCulture)),
                        ("shared pages", enter.A5.ToString(CultureInfo.InvariantCulture)), ("mpu regions", enter.A3.ToString(CultureInfo.InvariantCulture)),
                        ("result", EventFormatter.FormatResult(e.Result))], method.EndFlows);
                    break;
                }
                case EventKind.Delivery:
                    Delivery(e, ts, stack);
                    break;
                case EventKind.ThreadExit:
                {
                    // Syscalls and handlers that never returned (exit, a kill) end with the thread.
                    while (stack.Count > 0)
                    {
                        Open s = stack.Pop();
                        _w.End(s.Track, ts, [("seq", s.Start.Seq), ("call", s.Kind == "syscall" ? TraceShow.Unfinished(_formatter, s.Start) : "did not return")], s.EndFlows);
                    }
                    if (!_life.Remove(e.Tid, out Open? life))
                    {
                        // No start event: a slice of no length at the exit, as the JSON export draws it.
                        life = new Open("thread", e, ts, Track(e.Pid, e.Tid));
                        _w.Begin(life.Track, ts, "thread", "thread");
                    }
                    ulong created = _creates.Remove(e.Tid, out ulong c) ? c : 0;
                    _w.End(life.Track, ts, [("seq", life.Start.Seq), ("exit code", e.Code.ToString(CultureInfo.InvariantCulture))], life.EndFlows, created != 0 ? [created] : null);
                    _open.Remove(e.Tid);
                    break;
                }
                case EventKind.Wake when e.A3 != 0:
                {
                    // A notify (or close) woke this thread: a flow from the notifier's innermost slice (it ends first)
                    // to the wait it ended, tied to the wait's end (a handler may run nested in the wait until then).
                    Open? wait = stack.FirstOrDefault(o => o.Kind == "syscall" && _formatter.SyscallName(o.Start.Code) is "wait" or "wait_any");
                    if (wait is null) break;
                    ulong notifierTrack = Track((int)e.A2, (int)e.A3);
                    Open? notifier = Stack((int)e.A3).FirstOrDefault(o => o.Track == notifierTrack)
                        ?? (_life.TryGetValue((int)e.A3, out Open? l) && l.Track == notifierTrack ? l : null);
                    if (notifier is null) break;
                    ulong flow = ++_flows;
                    (notifier.EndFlows ??= []).Add(flow);
                    (wait.Woken ??= []).Add(flow);
                    break;
                }
                case EventKind.Fault:
                    _w.Instant(Track(e.Pid, e.Tid), ts, $"FAULT {(Hardware.FaultReason)e.Code}", "fault", [("seq", e.Seq), ("detail", _formatter.Format(e).Trim())]);
                    break;
                case EventKind.Inject:
                    // On the thread it hit; on the process's track when it hit no thread (a kill, a flip); else the kernel's.
                    _w.Instant(e.Pid == 0 ? _kernel : e.Tid == 0 ? Process(e.Pid) : Track(e.Pid, e.Tid), ts, "INJECT", "inject", [("seq", e.Seq), ("detail", _formatter.Format(e).Trim())]);
                    break;
                case EventKind.Console:
                    _w.Instant(Track(e.Pid, e.Tid), ts, "console", "console", [("seq", e.Seq), ("detail", e.Text ?? "")]);
                    break;
                case EventKind.Switch:
                    if (!cpuOpen) _w.Begin(_cpu, cpuSince, CpuName(cpuTid), "sched");
                    _w.End(_cpu, ts, [("seq", -1L), ("dispatched because", cpuWhy), ("left because", e.Text ?? "")]);
                    cpuTid = (int)e.A0;
                    cpuSince = ts;
                    cpuWhy = e.Text ?? "";
                    cpuOpen = cpuTid != 0;
                    if (cpuOpen) _w.Begin(_cpu, ts, CpuName(cpuTid), "sched");
                    break;
                case EventKind.Idle or EventKind.Deadlock or EventKind.TickLimit or EventKind.Restart or EventKind.Panic:
                    _w.Instant(_kernel, ts, e.Kind.ToString().ToLowerInvariant(), "kernel", [("seq", e.Seq), ("detail", _formatter.Format(e).Trim())]);
                    break;
            }
        }
        if (cpuOpen) _w.End(_cpu, ts, [("seq", -1L), ("dispatched because", cpuWhy), ("left because", "end")]);
        return count;
    }

    // A handler run ends (or a message could not be delivered): its slice, and the flow from the send that caused it.
    private void Delivery(KernelEvent e, long ts, Stack<Open> stack)
    {
        ulong track = Track(e.Pid, e.Tid);
        ulong flow = _sends.Deliver(e) is ({ } send, int receiver) ? send.Source[receiver] : 0;
        ulong[]? terminating = flow != 0 ? [flow] : null;
        if (e.Result >= 0 && stack.Count > 0 && stack.Peek().Kind == "handler")
        {
            Open run = stack.Pop();
            if (e.Text is not null) // a shared-memory segment handler (docs/shmem.md)
                _w.End(run.Track, ts, [("seq", e.Seq), ("from pid", e.A0.ToString(CultureInfo.InvariantCulture)), ("result", EventFormatter.FormatResult(e.Result)),
                    ("segment", $"{e.Text}, {e.A2} bytes at 0x{e.A1:x}")], run.EndFlows, terminating);
            else
                _w.End(run.Track, ts, [("seq", e.Seq), ("from pid", e.A0.ToString(CultureInfo.InvariantCulture)), ("result", e.Result == 1 ? "accepted" : "abandoned"),
                    ("pages", $"{e.A2} at 0x{e.A1:x}")], run.EndFlows, terminating);
        }
        else
        {
            // A short slice of its own (half the gap to the next event).
            _w.Begin(track, ts, $"undelivered type {e.Code}", "handler");
            _w.End(track, ts + 2, [("seq", e.Seq), ("detail", _formatter.Format(e).Trim())], null, terminating);
        }
    }

    // The handler's name from its start (the Upcall names the type; a segment handler has the segment's text).
    private static string HandlerName(KernelEvent upcall) => upcall.Text is not null ? $"segment handler type {upcall.Code}" : $"handler type {upcall.Code}";

    private static string RpcName(KernelEvent enter) => $"rpc object {enter.A0} method {enter.A1}";

    private ulong[] NewFlows(int receivers)
    {
        var flows = new ulong[receivers];
        for (int r = 0; r < receivers; r++) flows[r] = ++_flows;
        return flows;
    }

    private string CpuName(int tid) => _threadName.GetValueOrDefault(tid) ?? $"tid {tid}";

    private Stack<Open> Stack(int tid)
    {
        if (!_open.TryGetValue(tid, out Stack<Open>? s)) _open[tid] = s = new Stack<Open>();
        return s;
    }

    private ulong Process(int pid)
    {
        if (!_processes.TryGetValue(pid, out ulong track)) _processes[pid] = track = _w.ProcessTrack(pid, null);
        return track;
    }

    /// <summary>
    /// The track for an event of <paramref name="pid"/> on thread <paramref name="tid"/>: the thread's own, or, when
    /// the thread belongs to another process (it runs an RPC method for this one), a track of its own in this
    /// process, named when first used. No thread: the process's track.
    /// </summary>
    private ulong Track(int pid, int tid)
    {
        if (tid == 0) return Process(pid);
        if (!_owner.TryGetValue(tid, out int owner) || owner == pid)
        {
            if (!_threads.TryGetValue((pid, tid), out ulong own))
            {
                Process(pid);
                _threads[(pid, tid)] = own = _w.ThreadTrack(pid, tid, null);
            }
            return own;
        }
        if (!_rpc.TryGetValue((pid, tid), out ulong track))
            _rpc[(pid, tid)] = track = _w.ChildTrack(Process(pid), string.Create(CultureInfo.InvariantCulture, $"rpc: tid {tid} of pid {owner}"));
        return track;
    }

    // An open slice: what started it, when, on which track, and the flows that start or end when it ends.
    private sealed class Open(string kind, KernelEvent start, long ts, ulong track)
    {
        public string Kind { get; } = kind;
        public KernelEvent Start { get; } = start;
        public long Ts { get; } = ts;
        public ulong Track { get; } = track;

        /// <summary>A flow id on this slice's BEGIN not yet taken by what it started (thread_create, rpc_call).</summary>
        public ulong StartFlow { get; set; }

        /// <summary>Flows that start at this slice's END (the wakes a notify caused).</summary>
        public List<ulong>? EndFlows { get; set; }

        /// <summary>Flows that end at this slice's END (the wakes that ended this wait).</summary>
        public List<ulong>? Woken { get; set; }
    }
}
