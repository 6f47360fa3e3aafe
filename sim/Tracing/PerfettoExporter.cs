using System.Globalization;
using System.Text.Json;
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

    /// <summary>
    /// Writes <paramref name="trace"/> as JSON to <paramref name="output"/>, streaming the events twice: a first pass
    /// names the processes and threads and finds the busiest tick (for the time scale), the second writes the slices.
    /// Memory holds only what is open (syscalls, handler runs, threads, sends not yet delivered), not the trace.
    /// </summary>
    public static void Export(Trace trace, Stream output, EventFormatter formatter)
    {
        IReadOnlyList<TraceEvent> events = trace.Events;
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteStartArray("traceEvents");

        // Names first.
        Meta(w, "process_name", KernelPid, KernelPid, "kernel", isProcess: true);
        Meta(w, "thread_name", KernelPid, KernelPid, "cpu (who runs)", isProcess: false);
        var threadName = new Dictionary<int, string>();
        var processName = new Dictionary<int, string>();
        var tracks = new Tracks(w);
        var widest = new TickWidth();
        int cpuTid = 0;
        foreach (TraceEvent te in events)
        {
            KernelEvent e = te.Event;
            widest.Add(e.Tick);
            if (cpuTid == 0 && e.Kind is not (EventKind.ProcessStart or EventKind.ThreadStart) && e.Tid != 0) cpuTid = e.Tid; // TraceAnalysis.FirstThread
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

        long tickNs = widest.TickNanoseconds;
        var clock = new Clock(tickNs);
        var open = new Dictionary<int, Stack<Opened>>();                   // per tid: open syscalls and handler runs
        var starts = new Dictionary<int, Opened>();                        // tid -> its ThreadStart
        var sends = new PerfettoSends<(int Tid, long Ts)>();                // sends in flight: where their flows start
        var creates = new Dictionary<int, (int Pid, int Tid, long Ts)>(); // new tid -> where its thread_create was
        var wakes = new Dictionary<long, List<(int Pid, int Tid, long Ts)>>(); // wait's entry (seq) -> the wakes it got
        int flowId = 0;
        long cpuSince = 0, last = 0;
        string cpuWhy = "start";
        bool any = false;

        foreach (TraceEvent te in events)
        {
            KernelEvent e = te.Event;
            long now = last = clock.Next(e.Tick);
            any = true;
            // Utf8JsonWriter keeps what it wrote until flushed: hand it on every 64 KiB, or the whole JSON piles up in memory.
            if (w.BytesPending > 1 << 16) w.Flush();
            Stack<Opened> stack = Open(open, e.Tid);
            switch (e.Kind)
            {
                case EventKind.ThreadStart:
                    starts[e.Tid] = new Opened(e, now, "thread");
                    break;
                case EventKind.SyscallEnter:
                    stack.Push(new Opened(e, now, "syscall"));
                    // A shm_call's handler runs before the call returns: its send is pending from the entry on.
                    sends.Enter(e, () => (tracks.Tid(e.Pid, e.Tid), Inside(now)));
                    break;
                case EventKind.SyscallExit when stack.Count > 0 && stack.Peek().Kind == "syscall":
                {
                    Opened at = stack.Pop();
                    string call = formatter.FormatCall(e);
                    if (wakes.Remove(at.Event.Seq, out List<(int Pid, int Tid, long Ts)>? woken))
                        foreach ((int pid, int tid, long from) in woken)
                        {
                            // The end just before the wait returns: nothing nested in it is open any more.
                            flowId++;
                            Flow(w, "s", flowId, "notify", "notify", pid, tid, from);
                            Flow(w, "f", flowId, "notify", "notify", e.Pid, tracks.Tid(e.Pid, e.Tid), now - 1);
                        }
                    Slice(w, formatter.SyscallName(e.Code), "syscall", e.Pid, tracks.Tid(e.Pid, e.Tid), at.Ts, now, e.Seq, ("call", call), ("result", EventFormatter.FormatResult(e.Result)));
                    // A flow out of this call starts just inside it, before anything nested in it begins.
                    long inside = Inside(at.Ts);
                    sends.Exit(e, at.Event.Seq, _ => (tracks.Tid(e.Pid, e.Tid), inside));
                    if (e.Code == (long)SyscallNumber.ThreadCreate && e.Result > 0)
                    {
                        creates[(int)e.Result] = (e.Pid, tracks.Tid(e.Pid, e.Tid), inside);
                    }
                    break;
                }
                case EventKind.Upcall:
                    stack.Push(new Opened(e, now, "handler"));
                    break;
                case EventKind.RpcEnter:
                    stack.Push(new Opened(e, now, "rpc"));
                    break;
                case EventKind.RpcReturn when stack.Count > 0 && stack.Peek().Kind == "rpc":
                {
                    // The method ran on the caller's thread acting for the callee: a slice on the (callee pid, tid)
                    // track, with a flow arrow from the calling thread.
                    Opened at = stack.Pop();
                    KernelEvent enter = at.Event;
                    long from = at.Ts, to = now;
                    Slice(w, $"rpc object {enter.A0} method {enter.A1}", "rpc", enter.Pid, tracks.Tid(enter.Pid, enter.Tid), from, to, enter.Seq,
                        ("from pid", enter.A4.ToString(CultureInfo.InvariantCulture)), ("depth", enter.A2.ToString(CultureInfo.InvariantCulture)),
                        ("shared pages", enter.A5.ToString(CultureInfo.InvariantCulture)), ("mpu regions", enter.A3.ToString(CultureInfo.InvariantCulture)),
                        ("result", EventFormatter.FormatResult(e.Result)));
                    flowId++;
                    // From the caller's rpc_call (on its own track, or on the rpc track of the method that called).
                    Flow(w, "s", flowId, "rpc", "rpc_call", (int)enter.A4, tracks.Tid((int)enter.A4, e.Tid), Inside(at.Ts));
                    Flow(w, "f", flowId, "rpc", "rpc_call", enter.Pid, tracks.Tid(enter.Pid, e.Tid), Inside(at.Ts) + 1);
                    break;
                }
                case EventKind.Delivery:
                {
                    long from, to, end;
                    int tid = tracks.Tid(e.Pid, e.Tid);
                    if (e.Result >= 0 && stack.Count > 0 && stack.Peek().Kind == "handler")
                    {
                        Opened at = stack.Pop();
                        from = at.Ts;
                        to = now;
                        end = Inside(at.Ts);
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
                        from = now;
                        to = now + 2;
                        end = now + 1;
                        Slice(w, $"undelivered type {e.Code}", "handler", e.Pid, tid, from, to, e.Seq, ("detail", formatter.Format(e).Trim()));
                    }
                    if (sends.Deliver(e) is ({ } send, _))
                    {
                        flowId++;
                        (string cat, string name) = send.Shmem ? ("shmem", "shm_send") : ("ipc", "send");
                        Flow(w, "s", flowId, cat, name, send.Pid, send.Source.Tid, send.Source.Ts);
                        Flow(w, "f", flowId, cat, name, e.Pid, tid, end);
                    }
                    break;
                }
                case EventKind.ThreadExit:
                {
                    // Syscalls and handlers that never returned (exit, a kill) end with the thread.
                    while (stack.Count > 0)
                    {
                        Opened at = stack.Pop();
                        KernelEvent s = at.Event;
                        string kind = at.Kind;
                        string name = kind == "syscall" ? formatter.SyscallName(s.Code) : kind == "rpc" ? $"rpc object {s.A0} method {s.A1}" : $"handler type {s.Code}";
                        Slice(w, name, kind, s.Pid, tracks.Tid(s.Pid, s.Tid), at.Ts, now, s.Seq, ("call", kind == "syscall" ? TraceShow.Unfinished(formatter, s) : "did not return"));
                    }
                    open.Remove(e.Tid);
                    Opened start = starts.Remove(e.Tid, out Opened started) ? started : new Opened(e, now, "thread");
                    KernelEvent st = start.Event;
                    Slice(w, st.Text ?? "thread", "thread", e.Pid, e.Tid, start.Ts, now, st.Seq, ("exit code", e.Code.ToString(CultureInfo.InvariantCulture)));
                    if (creates.Remove(e.Tid, out (int Pid, int Tid, long Ts) c))
                    {
                        // To the new thread's life slice, just after it starts (before its first call).
                        flowId++;
                        Flow(w, "s", flowId, "thread", "thread_create", c.Pid, c.Tid, c.Ts);
                        Flow(w, "f", flowId, "thread", "thread_create", e.Pid, e.Tid, Inside(start.Ts));
                    }
                    break;
                }
                case EventKind.Wake when e.A3 != 0:
                {
                    // A notify (or close) woke this thread: an arrow from the notifier's call, at the wake, to the
                    // wait it ended, drawn when that wait returns (a handler may run nested in the wait until then).
                    long wait = WaitOf(formatter, stack);
                    if (wait < 0) break;
                    if (!wakes.TryGetValue(wait, out List<(int Pid, int Tid, long Ts)>? list)) wakes[wait] = list = [];
                    list.Add(((int)e.A2, tracks.Tid((int)e.A2, (int)e.A3), Inside(now)));
                    break;
                }
                case EventKind.Fault:
                    Instant(w, $"FAULT {(Hardware.FaultReason)e.Code}", "fault", e.Pid, tracks.Tid(e.Pid, e.Tid), now, "t", e.Seq, formatter.Format(e).Trim());
                    break;
                case EventKind.Inject:
                    // On the thread it hit; on the process's track when it hit no thread (a kill, a flip); else global.
                    if (e.Pid == 0) Instant(w, "INJECT", "inject", KernelPid, KernelPid, now, "g", e.Seq, formatter.Format(e).Trim());
                    else Instant(w, "INJECT", "inject", e.Pid, e.Tid == 0 ? e.Pid : tracks.Tid(e.Pid, e.Tid), now, e.Tid == 0 ? "p" : "t", e.Seq, formatter.Format(e).Trim());
                    break;
                case EventKind.Console:
                    Instant(w, "console", "console", e.Pid, tracks.Tid(e.Pid, e.Tid), now, "t", e.Seq, e.Text ?? "");
                    break;
                case EventKind.Switch:
                    CpuSlice(w, cpuTid, threadName, cpuSince, now, cpuWhy, e.Text ?? "");
                    cpuTid = (int)e.A0;
                    cpuSince = now;
                    cpuWhy = e.Text ?? "";
                    break;
                case EventKind.Idle or EventKind.Deadlock or EventKind.TickLimit or EventKind.Restart or EventKind.Panic:
                    Instant(w, e.Kind.ToString().ToLowerInvariant(), "kernel", KernelPid, KernelPid, now, "g", e.Seq, formatter.Format(e).Trim());
                    break;
            }
        }
        if (cpuTid != 0 && any) CpuSlice(w, cpuTid, threadName, cpuSince, last, cpuWhy, "end");

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
    /// it is the first power of ten that holds them all, so that no two events ever share a timestamp. (The export
    /// computes the same as it streams: <see cref="TickWidth"/>, then a <see cref="Clock"/>.)
    /// </summary>
    public static long[] Timestamps(IReadOnlyList<TraceEvent> events, out long tickNs)
    {
        var widest = new TickWidth();
        foreach (TraceEvent e in events) widest.Add(e.Event.Tick);
        tickNs = widest.TickNanoseconds;
        var clock = new Clock(tickNs);
        var ts = new long[events.Count];
        for (int i = 0; i < events.Count; i++) ts[i] = clock.Next(events[i].Event.Tick);
        return ts;
    }

    /// <summary>The first pass of the time scale: the most events one tick holds, and the tick's width that gives each its own nanoseconds.</summary>
    private sealed class TickWidth
    {
        private long _tick = long.MinValue;
        private int _run, _most;

        public void Add(long tick)
        {
            _run = tick == _tick ? _run + 1 : 1;
            _tick = tick;
            _most = Math.Max(_most, _run);
        }

        public long TickNanoseconds
        {
            get
            {
                long ns = 1000;
                while (_most * Gap > ns) ns *= 10;
                return ns;
            }
        }
    }

    /// <summary>The second pass: each event's timestamp in order (its tick's start plus its rank in the tick times <see cref="Gap"/>).</summary>
    private sealed class Clock(long tickNs)
    {
        private long _tick = long.MinValue;
        private int _rank;

        public long Next(long tick)
        {
            _rank = tick == _tick ? _rank + 1 : 0;
            _tick = tick;
            return tick * tickNs + _rank * Gap;
        }
    }

    // The entry (its seq) of the innermost open wait or wait_any on a thread's stack (-1 if none).
    private static long WaitOf(EventFormatter formatter, Stack<Opened> stack)
    {
        foreach (Opened o in stack) // top first
            if (o.Kind == "syscall" && formatter.SyscallName(o.Event.Code) is "wait" or "wait_any") return o.Event.Seq;
        return -1;
    }

    // Just after an event at `ts`: inside a slice that starts there, before any later event's slice or instant.
    private static long Inside(long ts) => ts + 1;

    // A syscall, handler run, RPC method or thread that has begun and not yet ended: its first event and time.
    private readonly record struct Opened(KernelEvent Event, long Ts, string Kind);

    // Perfetto reads "ts" in µs as a double and rounds it to whole ns: a multiple of 0.001 survives exactly.
    private static double Micros(long ns) => ns / 1000.0;

    private static Stack<Opened> Open(Dictionary<int, Stack<Opened>> open, int tid)
    {
        if (!open.TryGetValue(tid, out Stack<Opened>? s)) open[tid] = s = new Stack<Opened>();
        return s;
    }

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
