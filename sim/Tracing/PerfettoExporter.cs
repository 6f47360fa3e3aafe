using System.Globalization;
using System.Text.Json;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// Writes a trace as Chrome/Perfetto Trace Event JSON (opens in ui.perfetto.dev): one process per simulated
/// process and one named track per simulated thread; on it a slice for the thread's life, a slice per syscall and
/// per handler run (properly nested), instant events for faults and console output; a "kernel" process holds a CPU
/// track (who ran when, and why the switch) and global instants (idle, deadlock). Flow arrows go from each send to
/// the handler run (or failed delivery) it caused (a page send, or a shm_send / shm_call of a segment: category
/// "shmem"), from each thread_create to the thread it started, and from each
/// notify (or close) to the wait it ended. An RPC method runs on the caller's thread acting for the callee: its
/// slices go on a named track of their own in the callee's process ("rpc: tid T of pid P").
/// Perfetto binds a flow's end (and start) to the slice on top of its track's stack at the flow's timestamp, so
/// each flow event sits just inside the slice it belongs to, after that slice starts and before anything nested in
/// it can (<see cref="Timestamps"/>).
/// Time: 1 tick = 1 µs (more when a tick holds more than 250 events: <c>otherData.time</c> says); events sharing a
/// tick are spread inside it in sequence order, 4 ns apart, so no two start together and a flow fits in between.
/// </summary>
internal static class PerfettoExporter
{
    /// <summary>The pseudo process (and thread) id of the kernel's tracks: far above any simulated id, never 0.</summary>
    public const int KernelPid = 1_000_000;

    /// <summary>Writes <paramref name="trace"/> as JSON to <paramref name="output"/>.</summary>
    public static void Export(Trace trace, Stream output, EventFormatter formatter)
    {
        IReadOnlyList<TraceEvent> events = trace.Events;
        long[] ts = Timestamps(events, out long tickNs);
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteStartArray("traceEvents");

        // Names first.
        Meta(w, "process_name", KernelPid, KernelPid, "kernel", isProcess: true);
        Meta(w, "thread_name", KernelPid, KernelPid, "cpu (who runs)", isProcess: false);
        var threadName = new Dictionary<int, string>();
        var processName = new Dictionary<int, string>();
        var tracks = new Tracks(w);
        foreach (TraceEvent te in events)
        {
            KernelEvent e = te.Event;
            if (e.Kind == EventKind.ProcessStart)
            {
                processName[e.Pid] = e.Text ?? "";
                Meta(w, "process_name", e.Pid, e.Pid, $"{e.Text} (pid {e.Pid})", isProcess: true);
            }
            if (e.Kind == EventKind.ThreadStart)
            {
                threadName[e.Tid] = $"{processName.GetValueOrDefault(e.Pid)}/{e.Text} (pid {e.Pid} tid {e.Tid})";
                tracks.Owner[e.Tid] = e.Pid;
                Meta(w, "thread_name", e.Pid, e.Tid, $"{e.Text} (tid {e.Tid})", isProcess: false);
            }
        }

        var open = new Dictionary<int, Stack<(int Index, string Kind)>>(); // per tid: open syscalls and handler runs
        var starts = new Dictionary<int, int>();                          // tid -> index of its ThreadStart
        var sends = new List<PendingSend>();
        var shmPairs = new Dictionary<ulong, (int A, int B)>(); // shmem connection id -> its two pids (from shm_connect)
        var shmSegments = new Dictionary<ulong, ulong>();       // shmem segment id -> its connection (from shm_create)
        var shmSends = new Dictionary<int, PendingSend>();      // shm_send / shm_call entry -> the send it may become
        var creates = new Dictionary<int, (int Pid, int Tid, long Ts)>(); // new tid -> where its thread_create was
        var wakes = new Dictionary<int, List<(int Pid, int Tid, long Ts)>>(); // wait's entry -> the wakes it got
        int flowId = 0;
        int cpuTid = TraceAnalysis.FirstThread(events);
        long cpuSince = 0;
        string cpuWhy = "start";

        for (int i = 0; i < events.Count; i++)
        {
            KernelEvent e = events[i].Event;
            Stack<(int Index, string Kind)> stack = Open(open, e.Tid);
            switch (e.Kind)
            {
                case EventKind.ThreadStart:
                    starts[e.Tid] = i;
                    break;
                case EventKind.SyscallEnter:
                    stack.Push((i, "syscall"));
                    // A shm_call's handler runs before the call returns: its send is pending from the entry on.
                    if (e.Code is (long)SyscallNumber.ShmSend or (long)SyscallNumber.ShmCall && SegmentPeer(shmPairs, shmSegments, e.A0, e.Pid) is int peer)
                    {
                        var send = new PendingSend(e.Pid, tracks.Tid(e.Pid, e.Tid), peer, e.A1, 0, 1, Inside(ts, i)) { Shmem = true };
                        sends.Add(send);
                        shmSends[i] = send;
                    }
                    break;
                case EventKind.SyscallExit when stack.Count > 0 && stack.Peek().Kind == "syscall":
                {
                    int at = stack.Pop().Index;
                    string call = formatter.FormatCall(e);
                    TrackShmem(e, at, shmPairs, shmSegments, shmSends, sends);
                    if (wakes.Remove(at, out List<(int Pid, int Tid, long Ts)>? woken))
                        foreach ((int pid, int tid, long from) in woken)
                        {
                            // The end just before the wait returns: nothing nested in it is open any more.
                            flowId++;
                            Flow(w, "s", flowId, "notify", "notify", pid, tid, from);
                            Flow(w, "f", flowId, "notify", "notify", e.Pid, tracks.Tid(e.Pid, e.Tid), ts[i] - 1);
                        }
                    Slice(w, formatter.SyscallName(e.Code), "syscall", e.Pid, tracks.Tid(e.Pid, e.Tid), ts[at], ts[i], e.Seq, ("call", call), ("result", EventFormatter.FormatResult(e.Result)));
                    // A flow out of this call starts just inside it, before anything nested in it begins.
                    long inside = Inside(ts, at);
                    if (e.Code == (long)SyscallNumber.Send && e.Result > 0)
                        sends.Add(new PendingSend(e.Pid, tracks.Tid(e.Pid, e.Tid), (int)e.A0, e.A1, e.A4, (int)e.Result, inside));
                    if (e.Code == (long)SyscallNumber.ThreadCreate && e.Result > 0)
                    {
                        creates[(int)e.Result] = (e.Pid, tracks.Tid(e.Pid, e.Tid), inside);
                    }
                    break;
                }
                case EventKind.Upcall:
                    stack.Push((i, "handler"));
                    break;
                case EventKind.RpcEnter:
                    stack.Push((i, "rpc"));
                    break;
                case EventKind.RpcReturn when stack.Count > 0 && stack.Peek().Kind == "rpc":
                {
                    // The method ran on the caller's thread acting for the callee: a slice on the (callee pid, tid)
                    // track, with a flow arrow from the calling thread.
                    int at = stack.Pop().Index;
                    KernelEvent enter = events[at].Event;
                    long from = ts[at], to = ts[i];
                    Slice(w, $"rpc object {enter.A0} method {enter.A1}", "rpc", enter.Pid, tracks.Tid(enter.Pid, enter.Tid), from, to, enter.Seq,
                        ("from pid", enter.A4.ToString(CultureInfo.InvariantCulture)), ("depth", enter.A2.ToString(CultureInfo.InvariantCulture)),
                        ("shared pages", enter.A5.ToString(CultureInfo.InvariantCulture)), ("mpu regions", enter.A3.ToString(CultureInfo.InvariantCulture)),
                        ("result", EventFormatter.FormatResult(e.Result)));
                    flowId++;
                    // From the caller's rpc_call (on its own track, or on the rpc track of the method that called).
                    Flow(w, "s", flowId, "rpc", "rpc_call", (int)enter.A4, tracks.Tid((int)enter.A4, e.Tid), Inside(ts, at));
                    Flow(w, "f", flowId, "rpc", "rpc_call", enter.Pid, tracks.Tid(enter.Pid, e.Tid), Inside(ts, at) + 1);
                    break;
                }
                case EventKind.Delivery:
                {
                    long from, to, end;
                    int tid = tracks.Tid(e.Pid, e.Tid);
                    if (e.Result >= 0 && stack.Count > 0 && stack.Peek().Kind == "handler")
                    {
                        int at = stack.Pop().Index;
                        from = ts[at];
                        to = ts[i];
                        end = Inside(ts, at);
                        if (e.Text is not null) // a shared-memory segment handler (docs/shmem.md)
                            Slice(w, $"segment handler type {e.Code}", "handler", e.Pid, tid, from, to, e.Seq, ("from pid", e.A0.ToString(CultureInfo.InvariantCulture)),
                                ("result", EventFormatter.FormatResult(e.Result)), ("segment", $"{e.Text}, {e.A2} bytes at 0x{e.A1:x}"));
                        else
                            Slice(w, $"handler type {e.Code}", "handler", e.Pid, tid, from, to, e.Seq, ("from pid", e.A0.ToString(CultureInfo.InvariantCulture)),
                                ("result", e.Result == 1 ? "accepted" : "abandoned"), ("pages", $"{e.A2} at 0x{e.A1:x}"));
                    }
                    else
                    {
                        // A short slice of its own (half the gap to the next event), the arrow's end inside it.
                        from = ts[i];
                        to = ts[i] + 2;
                        end = ts[i] + 1;
                        Slice(w, $"undelivered type {e.Code}", "handler", e.Pid, tid, from, to, e.Seq, ("detail", formatter.Format(e).Trim()));
                    }
                    // A segment handler's Delivery names its segment in its text; a page send's has none.
                    bool shmem = e.Text is not null;
                    PendingSend? send = MatchSend(sends, (int)e.A0, (ulong)e.Code, e.Pid, shmem);
                    if (send is not null)
                    {
                        send.Delivered.Add(e.Pid);
                        flowId++;
                        (string cat, string name) = shmem ? ("shmem", "shm_send") : ("ipc", "send");
                        Flow(w, "s", flowId, cat, name, send.Pid, send.Tid, send.Ts);
                        Flow(w, "f", flowId, cat, name, e.Pid, tid, end);
                    }
                    break;
                }
                case EventKind.ThreadExit:
                {
                    // Syscalls and handlers that never returned (exit, a kill) end with the thread.
                    while (stack.Count > 0)
                    {
                        (int at, string kind) = stack.Pop();
                        KernelEvent s = events[at].Event;
                        string name = kind == "syscall" ? formatter.SyscallName(s.Code) : kind == "rpc" ? $"rpc object {s.A0} method {s.A1}" : $"handler type {s.Code}";
                        Slice(w, name, kind, s.Pid, tracks.Tid(s.Pid, s.Tid), ts[at], ts[i], s.Seq, ("call", kind == "syscall" ? TraceShow.Unfinished(formatter, s) : "did not return"));
                    }
                    int start = starts.GetValueOrDefault(e.Tid, i);
                    KernelEvent st = events[start].Event;
                    Slice(w, st.Text ?? "thread", "thread", e.Pid, e.Tid, ts[start], ts[i], st.Seq, ("exit code", e.Code.ToString(CultureInfo.InvariantCulture)));
                    if (creates.Remove(e.Tid, out (int Pid, int Tid, long Ts) c))
                    {
                        // To the new thread's life slice, just after it starts (before its first call).
                        flowId++;
                        Flow(w, "s", flowId, "thread", "thread_create", c.Pid, c.Tid, c.Ts);
                        Flow(w, "f", flowId, "thread", "thread_create", e.Pid, e.Tid, Inside(ts, start));
                    }
                    break;
                }
                case EventKind.Wake when e.A3 != 0:
                {
                    // A notify (or close) woke this thread: an arrow from the notifier's call, at the wake, to the
                    // wait it ended, drawn when that wait returns (a handler may run nested in the wait until then).
                    int wait = WaitOf(events, formatter, stack);
                    if (wait < 0) break;
                    if (!wakes.TryGetValue(wait, out List<(int Pid, int Tid, long Ts)>? list)) wakes[wait] = list = [];
                    list.Add(((int)e.A2, tracks.Tid((int)e.A2, (int)e.A3), Inside(ts, i)));
                    break;
                }
                case EventKind.Fault:
                    Instant(w, $"FAULT {(Hardware.FaultReason)e.Code}", "fault", e.Pid, tracks.Tid(e.Pid, e.Tid), ts[i], "t", e.Seq, formatter.Format(e).Trim());
                    break;
                case EventKind.Inject:
                    // On the thread it hit; on the process's track when it hit no thread (a kill, a flip); else global.
                    if (e.Pid == 0) Instant(w, "INJECT", "inject", KernelPid, KernelPid, ts[i], "g", e.Seq, formatter.Format(e).Trim());
                    else Instant(w, "INJECT", "inject", e.Pid, e.Tid == 0 ? e.Pid : tracks.Tid(e.Pid, e.Tid), ts[i], e.Tid == 0 ? "p" : "t", e.Seq, formatter.Format(e).Trim());
                    break;
                case EventKind.Console:
                    Instant(w, "console", "console", e.Pid, tracks.Tid(e.Pid, e.Tid), ts[i], "t", e.Seq, e.Text ?? "");
                    break;
                case EventKind.Switch:
                    CpuSlice(w, cpuTid, threadName, cpuSince, ts[i], cpuWhy, e.Text ?? "");
                    cpuTid = (int)e.A0;
                    cpuSince = ts[i];
                    cpuWhy = e.Text ?? "";
                    break;
                case EventKind.Idle or EventKind.Deadlock or EventKind.TickLimit or EventKind.Restart or EventKind.Panic:
                    Instant(w, e.Kind.ToString().ToLowerInvariant(), "kernel", KernelPid, KernelPid, ts[i], "g", e.Seq, formatter.Format(e).Trim());
                    break;
            }
        }
        if (cpuTid != 0 && events.Count > 0) CpuSlice(w, cpuTid, threadName, cpuSince, ts[^1], cpuWhy, "end");

        w.WriteEndArray();
        w.WriteString("displayTimeUnit", "ns");
        w.WriteStartObject("otherData");
        w.WriteString("scenario", trace.Header.ScenarioName);
        w.WriteString("build", trace.Header.Build);
        w.WriteString("time", tickNs == 1000 ? "1 tick of virtual time = 1 us" : string.Create(CultureInfo.InvariantCulture, $"1 tick of virtual time = {tickNs / 1000} us"));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Nanoseconds between two events of one tick: room for a flow event (+1) and a short slice (+2) between.</summary>
    public const long Gap = 4;

    /// <summary>
    /// Each event's time in ns: its tick times <paramref name="tickNs"/>, plus <see cref="Gap"/> times its rank among
    /// the events of that tick (in sequence order). A tick is 1 µs unless one holds more than 1000 / Gap events; then
    /// it is the first power of ten that holds them all, so that no two events ever share a timestamp.
    /// </summary>
    public static long[] Timestamps(IReadOnlyList<TraceEvent> events, out long tickNs)
    {
        int most = 0;
        for (int i = 0, run = 0; i < events.Count; i++)
        {
            run = i > 0 && events[i].Event.Tick == events[i - 1].Event.Tick ? run + 1 : 1;
            most = Math.Max(most, run);
        }
        tickNs = 1000;
        while (most * Gap > tickNs) tickNs *= 10;
        var ts = new long[events.Count];
        for (int i = 0, rank = 0; i < events.Count; i++)
        {
            rank = i > 0 && events[i].Event.Tick == events[i - 1].Event.Tick ? rank + 1 : 0;
            ts[i] = events[i].Event.Tick * tickNs + rank * Gap;
        }
        return ts;
    }

    // The entry of the innermost open wait or wait_any on a thread's stack (-1 if none).
    private static int WaitOf(IReadOnlyList<TraceEvent> events, EventFormatter formatter, Stack<(int Index, string Kind)> stack)
    {
        foreach ((int index, string kind) in stack) // top first
            if (kind == "syscall" && formatter.SyscallName(events[index].Event.Code) is "wait" or "wait_any") return index;
        return -1;
    }

    // Just after event i: inside a slice that starts there, before any later event's slice or instant.
    private static long Inside(long[] ts, int i) => ts[i] + 1;

    // Perfetto reads "ts" in µs as a double and rounds it to whole ns: a multiple of 0.001 survives exactly.
    private static double Micros(long ns) => ns / 1000.0;

    private static Stack<(int, string)> Open(Dictionary<int, Stack<(int, string)>> open, int tid)
    {
        if (!open.TryGetValue(tid, out Stack<(int, string)>? s)) open[tid] = s = new Stack<(int, string)>();
        return s;
    }

    // The oldest send of (sender, type) that can have reached this receiver and has not yet been matched to it.
    private static PendingSend? MatchSend(List<PendingSend> sends, int senderPid, ulong type, int receiver, bool shmem)
    {
        foreach (PendingSend s in sends)
        {
            if (s.Shmem != shmem || s.Pid != senderPid || s.Type != type || s.Delivered.Contains(receiver) || s.Delivered.Count >= s.Receivers) continue;
            ulong target = s.Flags & SendFlagBits.TargetMask;
            bool reaches = target switch
            {
                0 => s.TargetPid == receiver,
                (ulong)SendFlags.ToSelf => receiver == senderPid,
                (ulong)SendFlags.ToAllButSelf => receiver != senderPid,
                _ => true,
            };
            if (reaches) return s;
        }
        return null;
    }

    // Owned shared memory (docs/shmem.md): which pair a connection joins and which connection a segment is on, so a
    // shm_send's receiver is known; a send or call that failed is no longer pending.
    private static void TrackShmem(KernelEvent e, int enter, Dictionary<ulong, (int A, int B)> pairs, Dictionary<ulong, ulong> segments,
        Dictionary<int, PendingSend> shmSends, List<PendingSend> sends)
    {
        if (e.Code == (long)SyscallNumber.ShmConnect && e.Result > 0) pairs[(ulong)e.Result] = (e.Pid, (int)e.A0);
        else if (e.Code == (long)SyscallNumber.ShmCreate && e.Result > 0) segments[(ulong)e.Result] = e.A0;
        if (shmSends.Remove(enter, out PendingSend? send) && e.Result < 0 && send.Delivered.Count == 0) sends.Remove(send);
    }

    // The other process of the segment's connection, when the trace showed it being made.
    private static int? SegmentPeer(Dictionary<ulong, (int A, int B)> pairs, Dictionary<ulong, ulong> segments, ulong segment, int pid) =>
        segments.TryGetValue(segment, out ulong connection) && pairs.TryGetValue(connection, out (int A, int B) pair) ? (pair.A == pid ? pair.B : pair.A) : null;

    private static void Meta(Utf8JsonWriter w, string name, int pid, int tid, string value, bool isProcess)
    {
        w.WriteStartObject();
        w.WriteString("ph", "M");
        w.WriteString("name", name);
        w.WriteNumber("pid", pid);
        if (!isProcess) w.WriteNumber("tid", tid);
        w.WriteStartObject("args");
        w.WriteString("name", value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Slice(Utf8JsonWriter w, string name, string category, int pid, int tid, long from, long to, long seq, params (string Key, string Value)[] args)
    {
        w.WriteStartObject();
        w.WriteString("ph", "X");
        w.WriteString("name", name);
        w.WriteString("cat", category);
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteNumber("ts", Micros(from));
        w.WriteNumber("dur", Micros(Math.Max(0, to - from)));
        w.WriteStartObject("args");
        w.WriteNumber("seq", seq);
        foreach ((string k, string v) in args) w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Instant(Utf8JsonWriter w, string name, string category, int pid, int tid, long at, string scope, long seq, string detail)
    {
        w.WriteStartObject();
        w.WriteString("ph", "i");
        w.WriteString("name", name);
        w.WriteString("cat", category);
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteNumber("ts", Micros(at));
        w.WriteString("s", scope);
        w.WriteStartObject("args");
        w.WriteNumber("seq", seq);
        w.WriteString("detail", detail);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Flow(Utf8JsonWriter w, string phase, int id, string category, string name, int pid, int tid, long at)
    {
        w.WriteStartObject();
        w.WriteString("ph", phase);
        w.WriteNumber("id", id);
        w.WriteString("name", name);
        w.WriteString("cat", category);
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteNumber("ts", Micros(at));
        if (phase == "f") w.WriteString("bp", "e");
        w.WriteEndObject();
    }

    private static void CpuSlice(Utf8JsonWriter w, int tid, Dictionary<int, string> threadName, long from, long to, string why, string until)
    {
        string who = threadName.GetValueOrDefault(tid) ?? $"tid {tid}";
        Slice(w, who, "sched", KernelPid, KernelPid, from, to, -1, ("dispatched because", why), ("left because", until));
    }

    private sealed record PendingSend(int Pid, int Tid, int TargetPid, ulong Type, ulong Flags, int Receivers, long Ts)
    {
        public HashSet<int> Delivered { get; } = [];

        // A shm_send or shm_call (matched only to segment handler runs), not a page send.
        public bool Shmem { get; init; }
    }

    /// <summary>
    /// Which track (JSON tid) an event of (pid, tid) goes on. A thread's own events go on its track; events of an RPC
    /// method, which runs on the caller's thread in the callee's process, go on a track of their own, named when first
    /// used: Perfetto keys a thread by its tid, so the same tid under another pid would split the caller's track.
    /// </summary>
    private sealed class Tracks(Utf8JsonWriter w)
    {
        /// <summary>Where the synthetic tids of RPC tracks start: far above any simulated tid and the kernel's.</summary>
        public const int RpcTidBase = 2_000_000;

        private readonly Dictionary<(int Pid, int Tid), int> _rpc = [];

        /// <summary>The process each thread belongs to.</summary>
        public Dictionary<int, int> Owner { get; } = [];

        /// <summary>The JSON tid for an event of <paramref name="pid"/> on thread <paramref name="tid"/>.</summary>
        public int Tid(int pid, int tid)
        {
            if (tid == 0 || !Owner.TryGetValue(tid, out int owner) || owner == pid) return tid;
            if (_rpc.TryGetValue((pid, tid), out int track)) return track;
            track = RpcTidBase + _rpc.Count;
            _rpc[(pid, tid)] = track;
            Meta(w, "thread_name", pid, track, string.Create(CultureInfo.InvariantCulture, $"rpc: tid {tid} of pid {owner}"), isProcess: false);
            return track;
        }
    }
}
