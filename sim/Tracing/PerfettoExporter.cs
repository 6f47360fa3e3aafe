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
/// the handler run (or failed delivery) it caused, from each thread_create to the thread it started, and from each
/// notify (or close) to the wait it ended.
/// Time: 1 tick = 1 µs; events sharing a tick are spread inside it in sequence order, so no two start together.
/// </summary>
internal static class PerfettoExporter
{
    /// <summary>The pseudo process (and thread) id of the kernel's tracks: far above any simulated id, never 0.</summary>
    public const int KernelPid = 1_000_000;

    /// <summary>Writes <paramref name="trace"/> as JSON to <paramref name="output"/>.</summary>
    public static void Export(Trace trace, Stream output, EventFormatter formatter)
    {
        IReadOnlyList<TraceEvent> events = trace.Events;
        double[] ts = Timestamps(events);
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteStartArray("traceEvents");

        // Names first.
        Meta(w, "process_name", KernelPid, KernelPid, "kernel", isProcess: true);
        Meta(w, "thread_name", KernelPid, KernelPid, "cpu (who runs)", isProcess: false);
        var threadName = new Dictionary<int, string>();
        var processName = new Dictionary<int, string>();
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
                Meta(w, "thread_name", e.Pid, e.Tid, $"{e.Text} (tid {e.Tid})", isProcess: false);
            }
        }

        var open = new Dictionary<int, Stack<(int Index, string Kind)>>(); // per tid: open syscalls and handler runs
        var starts = new Dictionary<int, int>();                          // tid -> index of its ThreadStart
        var sends = new List<PendingSend>();
        var creates = new Dictionary<int, (int Pid, int Tid, double Ts)>(); // new tid -> where its thread_create was
        int flowId = 0;
        int cpuTid = TraceAnalysis.FirstThread(events);
        double cpuSince = 0;
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
                    break;
                case EventKind.SyscallExit when stack.Count > 0 && stack.Peek().Kind == "syscall":
                {
                    int at = stack.Pop().Index;
                    string call = formatter.FormatCall(e);
                    Slice(w, formatter.SyscallName(e.Code), "syscall", e.Pid, e.Tid, ts[at], ts[i], e.Seq, ("call", call), ("result", EventFormatter.FormatResult(e.Result)));
                    double mid = (ts[at] + ts[i]) / 2;
                    if (e.Code == (long)SyscallNumber.Send && e.Result > 0)
                        sends.Add(new PendingSend(e.Pid, e.Tid, (int)e.A0, e.A1, e.A4, (int)e.Result, mid));
                    if (e.Code == (long)SyscallNumber.ThreadCreate && e.Result > 0)
                    {
                        creates[(int)e.Result] = (e.Pid, e.Tid, mid);
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
                    double from = ts[at], to = ts[i];
                    Slice(w, $"rpc object {enter.A0} method {enter.A1}", "rpc", enter.Pid, enter.Tid, from, to, enter.Seq,
                        ("from pid", enter.A4.ToString(CultureInfo.InvariantCulture)), ("depth", enter.A2.ToString(CultureInfo.InvariantCulture)),
                        ("shared pages", enter.A5.ToString(CultureInfo.InvariantCulture)), ("mpu regions", enter.A3.ToString(CultureInfo.InvariantCulture)),
                        ("result", EventFormatter.FormatResult(e.Result)));
                    flowId++;
                    Flow(w, "s", flowId, "rpc", "rpc_call", (int)enter.A4, e.Tid, from);
                    Flow(w, "f", flowId, "rpc", "rpc_call", enter.Pid, e.Tid, (from + to) / 2);
                    break;
                }
                case EventKind.Delivery:
                {
                    double from, to;
                    if (e.Result >= 0 && stack.Count > 0 && stack.Peek().Kind == "handler")
                    {
                        from = ts[stack.Pop().Index];
                        to = ts[i];
                        if (e.Text is not null) // a shared-memory segment handler (docs/shmem.md)
                            Slice(w, $"segment handler type {e.Code}", "handler", e.Pid, e.Tid, from, to, e.Seq, ("from pid", e.A0.ToString(CultureInfo.InvariantCulture)),
                                ("result", EventFormatter.FormatResult(e.Result)), ("segment", $"{e.Text}, {e.A2} bytes at 0x{e.A1:x}"));
                        else
                            Slice(w, $"handler type {e.Code}", "handler", e.Pid, e.Tid, from, to, e.Seq, ("from pid", e.A0.ToString(CultureInfo.InvariantCulture)),
                                ("result", e.Result == 1 ? "accepted" : "abandoned"), ("pages", $"{e.A2} at 0x{e.A1:x}"));
                    }
                    else
                    {
                        from = ts[i];
                        to = ts[i] + Step(ts, i) / 2;
                        Slice(w, $"undelivered type {e.Code}", "handler", e.Pid, e.Tid, from, to, e.Seq, ("detail", formatter.Format(e).Trim()));
                    }
                    PendingSend? send = MatchSend(sends, (int)e.A0, (ulong)e.Code, e.Pid);
                    if (send is not null)
                    {
                        send.Delivered.Add(e.Pid);
                        flowId++;
                        Flow(w, "s", flowId, "ipc", "send", send.Pid, send.Tid, send.Ts);
                        Flow(w, "f", flowId, "ipc", "send", e.Pid, e.Tid, (from + to) / 2);
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
                        Slice(w, name, kind, s.Pid, s.Tid, ts[at], ts[i], s.Seq, ("call", kind == "syscall" ? TraceShow.Unfinished(formatter, s) : "did not return"));
                    }
                    int start = starts.GetValueOrDefault(e.Tid, i);
                    KernelEvent st = events[start].Event;
                    Slice(w, st.Text ?? "thread", "thread", e.Pid, e.Tid, ts[start], ts[i], st.Seq, ("exit code", e.Code.ToString(CultureInfo.InvariantCulture)));
                    if (creates.Remove(e.Tid, out (int Pid, int Tid, double Ts) c))
                    {
                        flowId++;
                        Flow(w, "s", flowId, "thread", "thread_create", c.Pid, c.Tid, c.Ts);
                        Flow(w, "f", flowId, "thread", "thread_create", e.Pid, e.Tid, (ts[start] + ts[i]) / 2);
                    }
                    break;
                }
                case EventKind.Wake when e.A3 != 0:
                    // A notify (or close) woke this thread: an arrow from the notifier's syscall to the wait it ended.
                    flowId++;
                    Flow(w, "s", flowId, "notify", "notify", (int)e.A2, (int)e.A3, ts[i]);
                    Flow(w, "f", flowId, "notify", "notify", e.Pid, e.Tid, ts[i]);
                    break;
                case EventKind.Fault:
                    Instant(w, $"FAULT {(Hardware.FaultReason)e.Code}", "fault", e.Pid, e.Tid, ts[i], "t", e.Seq, formatter.Format(e).Trim());
                    break;
                case EventKind.Inject:
                    // On the thread it hit; on the process's track when it hit no thread (a kill, a flip); else global.
                    if (e.Pid == 0) Instant(w, "INJECT", "inject", KernelPid, KernelPid, ts[i], "g", e.Seq, formatter.Format(e).Trim());
                    else Instant(w, "INJECT", "inject", e.Pid, e.Tid == 0 ? e.Pid : e.Tid, ts[i], e.Tid == 0 ? "p" : "t", e.Seq, formatter.Format(e).Trim());
                    break;
                case EventKind.Console:
                    Instant(w, "console", "console", e.Pid, e.Tid, ts[i], "t", e.Seq, e.Text ?? "");
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
        w.WriteString("time", "1 tick of virtual time = 1 us");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    // Each event's time in µs: its tick, plus its rank among the events of that tick (in sequence order).
    private static double[] Timestamps(IReadOnlyList<TraceEvent> events)
    {
        var ts = new double[events.Count];
        int i = 0;
        while (i < events.Count)
        {
            long tick = events[i].Event.Tick;
            int j = i;
            while (j < events.Count && events[j].Event.Tick == tick) j++;
            double step = Math.Min(0.001, 1.0 / (j - i + 1));
            for (int k = i; k < j; k++) ts[k] = tick + (k - i) * step;
            i = j;
        }
        return ts;
    }

    private static double Step(double[] ts, int i) => i + 1 < ts.Length && ts[i + 1] > ts[i] ? ts[i + 1] - ts[i] : 0.001;

    private static Stack<(int, string)> Open(Dictionary<int, Stack<(int, string)>> open, int tid)
    {
        if (!open.TryGetValue(tid, out Stack<(int, string)>? s)) open[tid] = s = new Stack<(int, string)>();
        return s;
    }

    // The oldest send of (sender, type) that can have reached this receiver and has not yet been matched to it.
    private static PendingSend? MatchSend(List<PendingSend> sends, int senderPid, ulong type, int receiver)
    {
        foreach (PendingSend s in sends)
        {
            if (s.Pid != senderPid || s.Type != type || s.Delivered.Contains(receiver) || s.Delivered.Count >= s.Receivers) continue;
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

    private static void Slice(Utf8JsonWriter w, string name, string category, int pid, int tid, double from, double to, long seq, params (string Key, string Value)[] args)
    {
        w.WriteStartObject();
        w.WriteString("ph", "X");
        w.WriteString("name", name);
        w.WriteString("cat", category);
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteNumber("ts", Math.Round(from, 6));
        w.WriteNumber("dur", Math.Round(Math.Max(0, to - from), 6));
        w.WriteStartObject("args");
        w.WriteNumber("seq", seq);
        foreach ((string k, string v) in args) w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Instant(Utf8JsonWriter w, string name, string category, int pid, int tid, double at, string scope, long seq, string detail)
    {
        w.WriteStartObject();
        w.WriteString("ph", "i");
        w.WriteString("name", name);
        w.WriteString("cat", category);
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteNumber("ts", Math.Round(at, 6));
        w.WriteString("s", scope);
        w.WriteStartObject("args");
        w.WriteNumber("seq", seq);
        w.WriteString("detail", detail);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Flow(Utf8JsonWriter w, string phase, int id, string category, string name, int pid, int tid, double at)
    {
        w.WriteStartObject();
        w.WriteString("ph", phase);
        w.WriteNumber("id", id);
        w.WriteString("name", name);
        w.WriteString("cat", category);
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteNumber("ts", Math.Round(at, 6));
        if (phase == "f") w.WriteString("bp", "e");
        w.WriteEndObject();
    }

    private static void CpuSlice(Utf8JsonWriter w, int tid, Dictionary<int, string> threadName, double from, double to, string why, string until)
    {
        string who = threadName.GetValueOrDefault(tid) ?? $"tid {tid}";
        Slice(w, who, "sched", KernelPid, KernelPid, from, to, -1, ("dispatched because", why), ("left because", until));
    }

    private sealed record PendingSend(int Pid, int Tid, int TargetPid, ulong Type, ulong Flags, int Receivers, double Ts)
    {
        public HashSet<int> Delivered { get; } = [];
    }
}
