using System.Text.Json;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

public class PerfettoExportTests
{
    // Times in whole ns, as Perfetto reads them (µs as a double, rounded to ns).
    private sealed record Ev(string Ph, string Name, string Cat, int Pid, int Tid, long Ts, long Dur, long? Id, string? Bp);

    private static List<Ev> Export(TraceFixture f, string scenario, out JsonDocument doc)
    {
        string trace = f.Record(scenario);
        string json = f.PathOf(scenario + ".json");
        var (code, output, err) = TraceFixture.Mk("trace", "export", "--perfetto", trace, json);
        code.ShouldBe(ExitCodes.Ok, err);
        output.ShouldContain("ui.perfetto.dev");
        doc = JsonDocument.Parse(File.ReadAllBytes(json));
        return Parse(doc);
    }

    private static List<Ev> Parse(JsonDocument doc)
    {
        var events = new List<Ev>();
        foreach (JsonElement e in doc.RootElement.GetProperty("traceEvents").EnumerateArray())
        {
            string Str(string n) => e.TryGetProperty(n, out JsonElement v) ? v.GetString()! : "";
            long Ns(string n) => e.TryGetProperty(n, out JsonElement v) ? (long)Math.Round(v.GetDouble() * 1000) : -1;
            events.Add(new Ev(Str("ph"), Str("name"), Str("cat"), e.GetProperty("pid").GetInt32(), e.TryGetProperty("tid", out JsonElement t) ? t.GetInt32() : -1,
                Ns("ts"), Ns("dur"), e.TryGetProperty("id", out JsonElement id) ? id.GetInt64() : null, e.TryGetProperty("bp", out JsonElement bp) ? bp.GetString() : null));
        }
        return events;
    }

    public static TheoryData<string> BuiltIns() => [.. ScenarioRunner.BuiltInNames];

    [Theory]
    [MemberData(nameof(BuiltIns))]
    public void The_export_is_structurally_valid_trace_event_json(string scenario)
    {
        using var f = new TraceFixture();
        List<Ev> events = Export(f, scenario, out JsonDocument doc);
        using (doc) CheckStructure(events);
    }

    [Fact]
    public void More_than_999_events_in_one_tick_never_share_a_timestamp()
    {
        using var f = new TraceFixture();
        Trace recorded = TraceFixture.Read(f.Record("queue"));
        recorded.Events.Count.ShouldBeGreaterThan(1000);
        // 1,200 events in tick 0: the exporter must widen the tick (4 ns an event: 4,800 ns) instead of stacking
        // events on one nanosecond.
        Trace squeezed = recorded with { Events = recorded.Events.Take(1200).Select(t => t with { Event = t.Event with { Tick = 0 } }).ToList() };
        using var buffer = new MemoryStream();
        PerfettoExporter.Export(squeezed, buffer, new EventFormatter(TraceCommands.SyscallTable()));
        using JsonDocument doc = JsonDocument.Parse(buffer.ToArray());
        doc.RootElement.GetProperty("otherData").GetProperty("time").GetString().ShouldBe("1 tick of virtual time = 10 us");
        List<Ev> events = Parse(doc);
        events.Where(e => e.Ph == "X" && e.Cat != "sched").Select(e => e.Ts).ShouldBeUnique();
        CheckStructure(events);

        long[] ts = PerfettoExporter.Timestamps(squeezed.Events, out long tickNs);
        tickNs.ShouldBe(10_000);
        ts.ShouldBeUnique();
        ts[^1].ShouldBeLessThan(tickNs);
    }

    private static void CheckStructure(List<Ev> events)
    {
        {
            events.Select(e => e.Ph).Distinct().ShouldBeSubsetOf(["M", "X", "i", "s", "f"]);
            events.ShouldAllBe(e => e.Pid > 0);

            // Every thread that has slices is named, every process too.
            var named = events.Where(e => e.Ph == "M" && e.Name == "thread_name").Select(e => (e.Pid, e.Tid)).ToHashSet();
            var processes = events.Where(e => e.Ph == "M" && e.Name == "process_name").Select(e => e.Pid).ToHashSet();
            foreach (Ev e in events.Where(e => e.Ph is "X" or "i" or "s" or "f"))
            {
                named.ShouldContain((e.Pid, e.Tid), $"{e.Ph} {e.Name} on an unnamed thread");
                processes.ShouldContain(e.Pid);
                e.Ts.ShouldBeGreaterThanOrEqualTo(0);
            }

            // Complete events: a duration, and on each thread they nest (no partial overlap, no two starting together).
            List<Ev> slices = events.Where(e => e.Ph == "X").ToList();
            slices.ShouldAllBe(e => e.Dur >= 0 && e.Name.Length > 0);
            foreach (var thread in slices.GroupBy(e => (e.Pid, e.Tid)).Where(g => g.Key.Pid != 1_000_000))
            {
                var ordered = thread.OrderBy(e => e.Ts).ThenByDescending(e => e.Dur).ToList();
                var stack = new Stack<Ev>();
                foreach (Ev s in ordered)
                {
                    while (stack.Count > 0 && stack.Peek().Ts + stack.Peek().Dur <= s.Ts) stack.Pop();
                    if (stack.Count > 0)
                        (s.Ts + s.Dur).ShouldBeLessThanOrEqualTo(stack.Peek().Ts + stack.Peek().Dur, $"{s.Name} at {s.Ts} overlaps {stack.Peek().Name}");
                    stack.Push(s);
                }
                thread.GroupBy(e => e.Ts).ShouldAllBe(g => g.Count() == 1, "two slices start at the same time on one thread");
            }
            slices.ShouldContain(e => e.Cat == "syscall");
            slices.ShouldContain(e => e.Cat == "sched" && e.Pid == 1_000_000);

            // Flows: every start has exactly one finish with the same id and category, and Perfetto binds each
            // end to the slice it is meant for: the handler a send reached, the thread a thread_create started,
            // the method an rpc_call ran, the wait a notify ended.
            List<Ev> starts = events.Where(e => e.Ph == "s").ToList(), finishes = events.Where(e => e.Ph == "f").ToList();
            starts.Select(e => e.Id).ShouldBeUnique();
            finishes.Count.ShouldBe(starts.Count);
            foreach (Ev s in starts)
            {
                Ev fin = finishes.Single(x => x.Id == s.Id);
                fin.Cat.ShouldBe(s.Cat);
                fin.Bp.ShouldBe("e");
                fin.Ts.ShouldBeGreaterThan(s.Ts);
                Ev from = BoundSlice(events, s), to = BoundSlice(events, fin);
                string flow = $"{s.Cat} flow {s.Id} (pid {s.Pid} tid {s.Tid} at {s.Ts} -> pid {fin.Pid} tid {fin.Tid} at {fin.Ts})";
                switch (s.Cat)
                {
                    case "ipc":
                        from.Name.ShouldBe("send", flow);
                        to.Cat.ShouldBe("handler", flow);
                        break;
                    case "shmem":
                        from.Name.ShouldBeOneOf(["shm_send", "shm_call"], flow);
                        to.Cat.ShouldBe("handler", flow);
                        to.Name.ShouldStartWith("segment handler type ", Case.Sensitive, flow);
                        break;
                    case "thread":
                        from.Name.ShouldBe("thread_create", flow);
                        to.Cat.ShouldBe("thread", flow);
                        break;
                    case "rpc":
                        from.Name.ShouldBe("rpc_call", flow);
                        to.Cat.ShouldBe("rpc", flow);
                        break;
                    case "portal":
                        from.Name.ShouldBe("trace_mark", flow);
                        to.Name.ShouldBe("trace_mark", flow);
                        break;
                    case "notify":
                        from.Name.ShouldBeOneOf(["notify", "notify_close"], flow);
                        to.Name.ShouldBeOneOf(["wait", "wait_any"], flow);
                        break;
                    default:
                        throw new ShouldAssertException($"unknown flow category {s.Cat}");
                }
            }
        }
    }

    /// <summary>
    /// Perfetto's binding rule (its JSON importer: a flow start, and an end with <c>"bp": "e"</c>, binds to the slice
    /// on top of its track's stack at the flow's timestamp): rebuilds the track's stack of complete slices up to that
    /// time and returns its top. A flow exactly where a slice starts or ends would depend on the importer's ordering
    /// of equal timestamps, so that fails too.
    /// </summary>
    private static Ev BoundSlice(List<Ev> events, Ev flow)
    {
        List<Ev> track = events.Where(e => e.Ph is "X" or "i" && e.Pid == flow.Pid && e.Tid == flow.Tid).ToList();
        track.ShouldNotContain(e => e.Ts == flow.Ts || e.Ts + Math.Max(0, e.Dur) == flow.Ts, $"{flow.Cat} flow {flow.Id} sits on a slice boundary at {flow.Ts}");
        var stack = new Stack<Ev>();
        foreach (Ev s in track.Where(e => e.Ph == "X" && e.Ts < flow.Ts).OrderBy(e => e.Ts).ThenByDescending(e => e.Dur))
        {
            while (stack.Count > 0 && stack.Peek().Ts + stack.Peek().Dur <= s.Ts) stack.Pop();
            stack.Push(s);
        }
        while (stack.Count > 0 && stack.Peek().Ts + stack.Peek().Dur <= flow.Ts) stack.Pop();
        stack.ShouldNotBeEmpty($"{flow.Cat} flow {flow.Id} at {flow.Ts} on pid {flow.Pid} tid {flow.Tid} binds to no slice");
        return stack.Peek();
    }

    [Fact]
    public void Sends_have_flow_arrows_to_the_handlers_they_reach()
    {
        using var f = new TraceFixture();
        List<Ev> events = Export(f, "pages", out JsonDocument doc);
        using (doc)
        {
            List<Ev> slices = events.Where(e => e.Ph == "X").ToList();
            var ipc = events.Where(e => e.Ph == "f" && e.Cat == "ipc").ToList();
            // 4 batches from the producer (pid 2) to the consumer (pid 1), one broadcast from pid 5 to pids 3 and 4.
            ipc.Count.ShouldBe(6);
            ipc.Count(e => e.Pid == 1).ShouldBe(4);
            ipc.ShouldContain(e => e.Pid == 3);
            ipc.ShouldContain(e => e.Pid == 4);
            foreach (Ev fin in ipc) Enclosing(slices, fin).Name.ShouldStartWith("handler type ");
            slices.ShouldContain(e => e.Name == "handler type 1" && e.Cat == "handler");
            events.ShouldContain(e => e.Ph == "i" && e.Name == "FAULT ReadOnly" && e.Pid == 4);
        }
    }

    [Fact]
    public void Shm_sends_and_calls_have_flow_arrows_from_the_sender_to_the_segment_handler()
    {
        // The seed's protocol: HereYouGo (parent pid 1 -> child pid 2), GiveAndGetBack (a call, child -> parent),
        // ThanksDone (child -> parent). CheckStructure has bound each end to the slice Perfetto would.
        using var f = new TraceFixture();
        List<Ev> events = Export(f, "shmem", out JsonDocument doc);
        using (doc)
        {
            List<Ev> slices = events.Where(e => e.Ph == "X").ToList();
            var starts = events.Where(e => e.Ph == "s" && e.Cat == "shmem").ToList();
            var arrows = starts.Select(s => (From: s, To: events.Single(x => x.Ph == "f" && x.Id == s.Id)))
                .Select(a => $"{Enclosing(slices, a.From).Name} pid {a.From.Pid} -> {Enclosing(slices, a.To).Name} pid {a.To.Pid}")
                .ToList();
            arrows.ShouldBe([
                "shm_send pid 1 -> segment handler type 1 pid 2",
                "shm_call pid 2 -> segment handler type 2 pid 1",
                "shm_send pid 2 -> segment handler type 3 pid 1",
            ]);
        }
    }

    [Fact]
    public void Every_delivered_stream_payload_has_a_flow_arrow_across_its_boundary()
    {
        using var f = new TraceFixture();
        List<Ev> events = Export(f, "streams", out JsonDocument doc);
        using (doc)
        {
            List<Ev> slices = events.Where(e => e.Ph == "X").ToList();
            var arrows = events.Where(e => e.Ph == "f" && e.Cat == "shmem")
                .Select(fin => (Start: events.Single(x => x.Ph == "s" && x.Id == fin.Id), Handler: Enclosing(slices, fin).Name, To: fin.Pid))
                .ToList();
            // The recorder (pid 2) gets all 24 frames (type 0x5301 = 21249) and the end marker (0x5303), and gives
            // every frame's segment back to the camera (0x5302); the end marker's return is dropped by the recorder's
            // exit, which tears the connection down before the camera runs again.
            arrows.Count(a => a.Start.Pid == 1 && a.To == 2 && a.Handler == "segment handler type 21249").ShouldBe(24);
            arrows.Count(a => a.Start.Pid == 1 && a.To == 2 && a.Handler == "segment handler type 21251").ShouldBe(1);
            arrows.Count(a => a.Start.Pid == 2 && a.To == 1 && a.Handler == "segment handler type 21250").ShouldBe(24);
            arrows.Count(a => a.Start.Pid == 1 && a.To == 3 && a.Handler == "segment handler type 21249").ShouldBe(10);
        }
    }

    [Fact]
    public void Notifies_have_flow_arrows_to_the_waits_they_end()
    {
        using var f = new TraceFixture();
        List<Ev> events = Export(f, "queue", out JsonDocument doc);
        using (doc)
        {
            List<Ev> slices = events.Where(e => e.Ph == "X").ToList();
            var starts = events.Where(e => e.Ph == "s" && e.Cat == "notify").ToList();
            var finishes = events.Where(e => e.Ph == "f" && e.Cat == "notify").ToList();
            starts.Count.ShouldBeGreaterThan(100); // every call of every client is a request notify and a reply notify
            finishes.Count.ShouldBe(starts.Count);
            foreach (Ev s in starts) Enclosing(slices, s).Name.ShouldBe("notify");
            // Inside the wait it ends (a handler may run nested in that wait, on the server, when the wake comes).
            foreach (Ev fin in finishes)
                slices.ShouldContain(s => s.Pid == fin.Pid && s.Tid == fin.Tid && s.Ts <= fin.Ts && fin.Ts <= s.Ts + s.Dur && (s.Name == "wait" || s.Name == "wait_any"));
            // The server (pid 1) is woken by its clients; clients are woken by the server.
            finishes.ShouldContain(e => e.Pid == 1);
            finishes.ShouldContain(e => e.Pid == 6);
        }
    }

    // The innermost slice on the event's thread that contains its timestamp.
    private static Ev Enclosing(List<Ev> slices, Ev at) =>
        slices.Where(s => s.Pid == at.Pid && s.Tid == at.Tid && s.Ts <= at.Ts && at.Ts <= s.Ts + s.Dur).OrderByDescending(s => s.Ts).First();
}
