using System.Text.Json;
using MicroKernel.Sim.Cli;

namespace MicroKernel.Tests.Tracing;

public class PerfettoExportTests
{
    private sealed record Ev(string Ph, string Name, string Cat, int Pid, int Tid, double Ts, double Dur, long? Id, string? Bp);

    private static List<Ev> Export(TraceFixture f, string scenario, out JsonDocument doc)
    {
        string trace = f.Record(scenario);
        string json = f.PathOf(scenario + ".json");
        var (code, output, err) = TraceFixture.Mk("trace", "export", "--perfetto", trace, json);
        code.ShouldBe(ExitCodes.Ok, err);
        output.ShouldContain("ui.perfetto.dev");
        doc = JsonDocument.Parse(File.ReadAllBytes(json));
        var events = new List<Ev>();
        foreach (JsonElement e in doc.RootElement.GetProperty("traceEvents").EnumerateArray())
        {
            string Str(string n) => e.TryGetProperty(n, out JsonElement v) ? v.GetString()! : "";
            double Num(string n) => e.TryGetProperty(n, out JsonElement v) ? v.GetDouble() : double.NaN;
            events.Add(new Ev(Str("ph"), Str("name"), Str("cat"), e.GetProperty("pid").GetInt32(), e.TryGetProperty("tid", out JsonElement t) ? t.GetInt32() : -1,
                Num("ts"), Num("dur"), e.TryGetProperty("id", out JsonElement id) ? id.GetInt64() : null, e.TryGetProperty("bp", out JsonElement bp) ? bp.GetString() : null));
        }
        return events;
    }

    [Theory]
    [InlineData("pages")]
    [InlineData("demo")]
    [InlineData("deadlock")]
    [InlineData("queue")]
    public void The_export_is_structurally_valid_trace_event_json(string scenario)
    {
        using var f = new TraceFixture();
        List<Ev> events = Export(f, scenario, out JsonDocument doc);
        using (doc)
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
                    while (stack.Count > 0 && stack.Peek().Ts + stack.Peek().Dur <= s.Ts + 1e-9) stack.Pop();
                    if (stack.Count > 0)
                        (s.Ts + s.Dur).ShouldBeLessThanOrEqualTo(stack.Peek().Ts + stack.Peek().Dur + 1e-9, $"{s.Name} at {s.Ts} overlaps {stack.Peek().Name}");
                    stack.Push(s);
                }
                thread.GroupBy(e => e.Ts).ShouldAllBe(g => g.Count() == 1, "two slices start at the same time on one thread");
            }
            slices.ShouldContain(e => e.Cat == "syscall");
            slices.ShouldContain(e => e.Cat == "sched" && e.Pid == 1_000_000);

            // Flows: every start has exactly one finish with the same id and category, bound to an enclosing slice.
            List<Ev> starts = events.Where(e => e.Ph == "s").ToList(), finishes = events.Where(e => e.Ph == "f").ToList();
            starts.Select(e => e.Id).ShouldBeUnique();
            finishes.Count.ShouldBe(starts.Count);
            foreach (Ev s in starts)
            {
                Ev fin = finishes.Single(x => x.Id == s.Id);
                fin.Cat.ShouldBe(s.Cat);
                fin.Bp.ShouldBe("e");
                fin.Ts.ShouldBeGreaterThanOrEqualTo(s.Ts);
                Enclosing(slices, s).Name.ShouldBeOneOf("send", "thread_create", "notify", "notify_close");
                Enclosing(slices, fin).ShouldNotBeNull();
            }
        }
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
