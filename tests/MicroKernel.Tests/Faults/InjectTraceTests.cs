using System.Text.Json;
using MicroKernel.Faults;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Tracing;

namespace MicroKernel.Tests.Faults;

/// <summary>Injections in a recorded trace: <c>trace show --injections</c> and the Perfetto export's instants.</summary>
public class InjectTraceTests
{
    // Records the pages scenario with a plan (the library API: --fault on the command line is another branch's work).
    private static string RecordPages(TraceFixture f, params FaultRule[] rules)
    {
        Scenario s = ScenarioRunner.Load("pages");
        s = s with { Config = s.Config with { Faults = new FaultPlan(rules) } };
        string path = f.PathOf($"pages-{Guid.NewGuid():N}.mktrace");
        var output = new StringWriter();
        var traces = new TraceCommands(output, new StringWriter());
        var recorder = traces.StartRecording(path, "pages", s, new Dictionary<string, string?>())!;
        Kernel k = ScenarioRunner.Boot(s, [recorder]);
        traces.FinishRecording(recorder, k.Run(), path);
        return path;
    }

    private static readonly FaultRule[] Rules =
    [
        new SyscallFaultRule("map", 1, ErrorCode.OutOfMemory, Pid: 2), new PreemptFaultRule(5), new KillFaultRule(4, Tick: 3, SyscallNth: null),
    ];

    [Fact]
    public void Trace_show_injections_prints_only_the_INJECT_lines()
    {
        using var f = new TraceFixture();
        string trace = RecordPages(f, Rules);
        var (code, output, err) = TraceFixture.Mk("trace", "show", "--injections", trace);
        code.ShouldBe(ExitCodes.Ok, err);
        string[] events = [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("# "))];
        events.Length.ShouldBe(3);
        events.ShouldAllBe(l => l.Contains(" INJECT "));
        events.ShouldContain(l => l.EndsWith("INJECT syscall map #1 of pid 2 -> OutOfMemory") && l.Contains("[pid 2 tid 2]"));
        events.ShouldContain(l => l.EndsWith("INJECT kill pid 4 at tick 3"));
        events.ShouldContain(l => l.Contains("INJECT preempt tid "));

        // Without the filter they sit among the other events; the filter combines with --pid.
        TraceFixture.Mk("trace", "show", trace).Out.ShouldContain("INJECT syscall map #1 of pid 2 -> OutOfMemory");
        var (_, only2, _) = TraceFixture.Mk("trace", "show", "--injections", "--pid", "2", trace);
        only2.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => !l.StartsWith("# ")).ShouldBe(1);
    }

    [Fact]
    public void A_trace_without_rules_shows_no_injection()
    {
        using var f = new TraceFixture();
        string trace = RecordPages(f);
        var (code, output, _) = TraceFixture.Mk("trace", "show", "--injections", trace);
        code.ShouldBe(ExitCodes.Ok);
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldAllBe(l => l.StartsWith("# "));
    }

    [Fact]
    public void The_Perfetto_export_draws_each_injection_as_an_instant_on_its_process_track()
    {
        using var f = new TraceFixture();
        string trace = RecordPages(f, Rules);
        string json = f.PathOf("inject.json");
        var (code, _, err) = TraceFixture.Mk("trace", "export", "--perfetto", trace, json);
        code.ShouldBe(ExitCodes.Ok, err);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(json));
        var injects = doc.RootElement.GetProperty("traceEvents").EnumerateArray()
            .Where(e => e.TryGetProperty("cat", out JsonElement c) && c.GetString() == "inject").ToList();
        injects.Count.ShouldBe(3);
        injects.ShouldAllBe(e => e.GetProperty("ph").GetString() == "i" && e.GetProperty("name").GetString() == "INJECT");
        JsonElement map = injects.Single(e => e.GetProperty("args").GetProperty("detail").GetString()!.Contains("syscall map"));
        map.GetProperty("pid").GetInt32().ShouldBe(2);
        map.GetProperty("tid").GetInt32().ShouldBe(2);
        map.GetProperty("s").GetString().ShouldBe("t");
        JsonElement kill = injects.Single(e => e.GetProperty("args").GetProperty("detail").GetString()!.Contains("kill pid 4"));
        kill.GetProperty("pid").GetInt32().ShouldBe(4);
        kill.GetProperty("s").GetString().ShouldBe("p");
    }
}
