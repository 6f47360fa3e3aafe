using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Tests.Tracing;
using MicroKernel.Tests.X86;
using MicroKernel.X86;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// Every fault rule kind end to end through the command line (docs/faults.md): from <c>--fault</c> on <c>mk run</c>
/// and from a scenario's <c>fault</c> line, and from <c>--fault</c> on <c>mk exec</c> for the kinds that fit one x86
/// program. Each run shows the INJECT line and the rule's effect, its trace records it, <c>trace show --injections</c>
/// lists it, and <c>mk replay</c> and <c>mk replay --syscalls-only</c> of that trace match every event.
/// </summary>
public sealed class FaultCliEndToEndTests : IDisposable
{
    private readonly TraceFixture _files = new();

    public void Dispose() => _files.Dispose();

    // The fault lab's stale-TLB scenario (sim/scenarios/stale-tlb.scn, not a built-in): write, protect r--, write.
    private const string StaleTlb = """
        name        stale-tlb
        memory      64
        protection  paging
        scheduler   round-robin
        seed        1
        process faulter  program=faulter
        """;

    /// <summary>scenario (a built-in name, or "stale-tlb"), rule, the INJECT text, a line of the rule's effect.</summary>
    public static TheoryData<string, string, string, string> RunRules => new()
    {
        { "careless", "syscall name=map nth=1 error=OutOfMemory", "INJECT syscall map #1 -> OutOfMemory", "map(0x0, 4096, rw-) = -5 OutOfMemory" },
        { "pages", "frames nth=60", "INJECT frames #60 -> refused", "map(0x0, 8192, rw-) = -5 OutOfMemory" },
        { "pages", "kill pid=2 tick=5", "INJECT kill pid 2 at tick 5", "process exit, status 137" },
        { "pages", "kill pid=2 syscall=3", "INJECT kill pid 2 at its syscall #3 (send)", "process exit, status 137" },
        { "pages", "crash pid=3 tick=4", "INJECT crash pid 3 tid 3 at tick 4", "FAULT Injected on execute at 0x0 (crash injected by fault rule #0)" },
        { "pages", "preempt tick=3", "INJECT preempt tid 2 at tick 3", "[pid 3 tid 3]      register_handler(2, 0x400010) = 0" },
        { "pages", "flip pid=1 addr=0x10000100 bit=0 tick=2", "INJECT flip pid 1 addr 0x10000100 bit 0 at tick 2: 0x00 -> 0x01", "consumer: 4 batches" },
        { "pages", "delay nth=1 ticks=20", "INJECT delay delivery #1 (type 2 from pid 5) by 20 ticks", "reader 3: table[12] = 144" },
        { "stale-tlb", "kernel-bug name=skip-tlb-flush nth=1", "INJECT kernel-bug skip-tlb-flush #1: invalidation of 0x10004000 skipped", "unreachable: the write above faults" },
        { "pages", "random p=0.05", "INJECT random: preempt tid 2 at tick 12", "INJECT random: syscall map -> InvalidArgument" },
    };

    private string ScenarioPath(string scenario, string? faultLine = null)
    {
        string text = scenario == "stale-tlb" ? StaleTlb : ScenarioRunner.BuiltInText(scenario);
        if (faultLine is null && scenario != "stale-tlb") return scenario;
        string path = _files.PathOf($"{scenario}-{Guid.NewGuid():N}.scn");
        File.WriteAllText(path, text + "\n" + (faultLine is null ? "" : $"fault {faultLine}\n"));
        return path;
    }

    // The trace replays in both modes, and trace show --injections lists exactly the recorded injections.
    private static void ReplaysAndShows(string trace, string inject)
    {
        var replay = TraceFixture.Mk("replay", trace);
        replay.Code.ShouldBe(ExitCodes.Ok, replay.Out + replay.Err);
        replay.Out.ShouldContain("OK: all ");
        var puppets = TraceFixture.Mk("replay", "--syscalls-only", trace);
        puppets.Code.ShouldBe(ExitCodes.Ok, puppets.Out + puppets.Err);
        puppets.Out.ShouldContain("every result as recorded");
        var shown = TraceFixture.Mk("trace", "show", "--injections", trace);
        shown.Code.ShouldBe(ExitCodes.Ok, shown.Err);
        string[] events = [.. shown.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("# ", StringComparison.Ordinal))];
        events.ShouldNotBeEmpty();
        events.ShouldAllBe(l => l.Contains(" INJECT "));
        events.ShouldContain(l => l.Contains(inject));
    }

    [Theory]
    [MemberData(nameof(RunRules))]
    public void Run_with_fault_option_injects_records_replays_and_shows(string scenario, string rule, string inject, string effect)
    {
        string trace = _files.PathOf($"run-{Guid.NewGuid():N}.mktrace");
        var (code, output, err) = TraceFixture.Mk("run", ScenarioPath(scenario), "--fault", rule, "--trace", trace);
        code.ShouldNotBe(ExitCodes.BadInput, err);
        output.ShouldContain(inject);
        output.ShouldContain(effect);
        TraceFixture.Read(trace).Header.Faults.ShouldBe([rule]);
        ReplaysAndShows(trace, inject);
    }

    [Theory]
    [MemberData(nameof(RunRules))]
    public void A_scenario_fault_line_is_the_same_as_the_option(string scenario, string rule, string inject, string effect)
    {
        var fromOption = TraceFixture.Mk("run", ScenarioPath(scenario), "--fault", rule);
        var (code, output, err) = TraceFixture.Mk("run", ScenarioPath(scenario, rule));
        code.ShouldBe(fromOption.Code, err);
        output.ShouldContain(inject);
        output.ShouldContain(effect);
        // The same events in the same order: the account from the first event line on is the option run's.
        static string Events(string text) => text[text.IndexOf("   tick who", StringComparison.Ordinal)..];
        Events(output).Replace(ScenarioPathMarker(output), "", StringComparison.Ordinal)
            .ShouldBe(Events(fromOption.Out).Replace(ScenarioPathMarker(fromOption.Out), "", StringComparison.Ordinal));
    }

    // Expectation lines name the scenario's source (a file here, builtin:NAME there): compare without it.
    private static string ScenarioPathMarker(string output)
    {
        int start = output.IndexOf("scenario '", StringComparison.Ordinal);
        int open = output.IndexOf('(', start) + 1;
        return output[open..output.IndexOf(')', open)] + ":";
    }

    /// <summary>fixture, rule, the INJECT text, the exit code of mk exec.</summary>
    public static TheoryData<string, string, string, int> ExecRules => new()
    {
        { "hello", "syscall name=write nth=1 error=BadAddress", "INJECT syscall write #1 -> BadAddress", 0 },
        { "pageproducer", "frames nth=36", "INJECT frames #36 -> refused", 1 },
        { "sieve", "kill pid=1 tick=3", "INJECT kill pid 1 at tick 3", 137 },
        { "sieve", "kill pid=1 syscall=2", "INJECT kill pid 1 at its syscall #2 (exit)", 137 },
        { "sieve", "crash pid=1 tick=3", "INJECT crash pid 1 tid 1 at tick 3", 141 },
        { "sieve", "preempt tick=2", "INJECT preempt tid 1 at tick 2", 0 },
        { "sieve", "flip pid=1 addr=0x400000 bit=0 tick=2", "INJECT flip pid 1 addr 0x400000 bit 0 at tick 2: 0x7f -> 0x7e", 0 },
        // selfsend.c moves a page to itself: the one page-send delivery a single program can make.
        { "selfsend", "delay nth=1 ticks=20", "INJECT delay delivery #1 (type 1 from pid 1) by 20 ticks", 0 },
        { "hello", "random p=0.5 kinds=syscall,preempt", "INJECT random: syscall write -> InvalidArgument", 0 },
        // errors.c unmaps a page it never touched: the skipped invalidation leaves nothing stale, so the run goes on.
        { "errors", "kernel-bug name=skip-tlb-flush nth=1", "INJECT kernel-bug skip-tlb-flush #1: invalidation of 0x10000000 skipped", 0 },
    };

    /// <summary><see cref="ExecRules"/> under each CPU (the mode last).</summary>
    public static TheoryData<string, string, string, int, X86CpuMode> ExecRulesUnderBothCpus()
    {
        var rows = new TheoryData<string, string, string, int, X86CpuMode>();
        foreach (object[] row in ExecRules)
            foreach (X86CpuMode cpu in new[] { X86CpuMode.Interpret, X86CpuMode.Translate })
                rows.Add((string)row[0], (string)row[1], (string)row[2], (int)row[3], cpu);
        return rows;
    }

    [Theory]
    [MemberData(nameof(ExecRulesUnderBothCpus))]
    public void Exec_with_fault_option_injects_records_replays_and_shows(string fixture, string rule, string inject, int status, X86CpuMode cpu)
    {
        X86CpuModes.Use(cpu); // the run and its replays
        string trace = _files.PathOf($"exec-{Guid.NewGuid():N}.mktrace");
        var (code, output, err) = TraceFixture.Mk("exec", CExamples.Fixture(fixture), "--fault", rule, "--trace", trace);
        code.ShouldBe(status, output + err);
        err.ShouldContain(inject); // exec's account (stderr) shows the injection as it happens, as run's does
        output.ShouldNotContain("INJECT"); // stdout is the program's console only
        if (fixture == "hello") output.ShouldNotContain("hello"); // its write was refused: nothing reached the console
        if (status == 141) err.ShouldContain("Injected (execute at 0x0): crash injected by fault rule #0");
        ReplaysAndShows(trace, inject);
    }

    [Theory]
    [InlineData(X86CpuMode.Interpret)]
    [InlineData(X86CpuMode.Translate)]
    public void Exec_without_a_trace_prints_the_injection_on_stderr(X86CpuMode cpu)
    {
        X86CpuModes.Use(cpu);
        var (code, output, err) = TraceFixture.Mk("exec", CExamples.Fixture("hello"), "--fault", "syscall name=write nth=1 error=BadAddress");
        code.ShouldBe(0, output + err);
        err.ShouldContain("INJECT syscall write #1 -> BadAddress");
        output.ShouldNotContain("hello");
    }

    [Theory]
    [InlineData(X86CpuMode.Interpret)]
    [InlineData(X86CpuMode.Translate)]
    public void Exec_delay_holds_a_self_sent_page_back_by_its_ticks(X86CpuMode cpu)
    {
        X86CpuModes.Use(cpu);
        // selfsend prints the ticks from its send to its handler: the rule adds exactly its 20 ticks.
        var plain = TraceFixture.Mk("exec", CExamples.Fixture("selfsend"));
        plain.Code.ShouldBe(0, plain.Out + plain.Err);
        var delayed = TraceFixture.Mk("exec", CExamples.Fixture("selfsend"), "--fault", "delay nth=1 ticks=20");
        delayed.Code.ShouldBe(0, delayed.Out + delayed.Err);
        static long Ticks(string output) =>
            long.Parse(System.Text.RegularExpressions.Regex.Match(output, @"handler ran (\d+) ticks after the send").Groups[1].Value, CultureInfo.InvariantCulture);
        Ticks(delayed.Out).ShouldBe(Ticks(plain.Out) + 20, delayed.Out);
        plain.Err.ShouldNotContain("INJECT");
    }

    [Theory]
    [InlineData(X86CpuMode.Interpret)]
    [InlineData(X86CpuMode.Translate)]
    public void A_frames_rule_that_hits_the_loader_refuses_the_program(X86CpuMode cpu)
    {
        X86CpuModes.Use(cpu);
        // Loading counts as allocation requests too: the 5th is one of the sieve's segments, so exec cannot load it.
        var (code, _, err) = TraceFixture.Mk("exec", CExamples.Fixture("sieve"), "--fault", "frames nth=5");
        code.ShouldBe(127);
        err.ShouldContain("cannot load into the simulated machine");
    }

    [Fact]
    public void Puppets_remake_the_wrapping_store_of_a_program_that_ignores_maps_error()
    {
        // careless-mapper stores through -5 (0xfffffffffffffffb): an 8-byte store that wraps is NonCanonical.
        string trace = _files.PathOf("careless.mktrace");
        var (code, output, _) = TraceFixture.Mk("run", "careless", "--fault", "syscall name=map nth=1 error=OutOfMemory", "--trace", trace);
        code.ShouldBe(ExitCodes.ExpectationFailed);
        output.ShouldContain("FAULT NonCanonical on write at 0xfffffffffffffffb");
        var puppets = TraceFixture.Mk("replay", "--syscalls-only", trace);
        puppets.Code.ShouldBe(ExitCodes.Ok, puppets.Out + puppets.Err);
        puppets.Out.ShouldContain("every result as recorded");
    }

    [Fact]
    public void A_random_rule_replays_from_the_seed_alone()
    {
        string first = _files.PathOf("random-1.mktrace");
        string second = _files.PathOf("random-2.mktrace");
        string[] run = ["run", "pages", "--seed", "5", "--fault", "random p=0.1 kinds=syscall,preempt,delay"];
        var a = TraceFixture.Mk([.. run, "--trace", first]);
        var b = TraceFixture.Mk([.. run, "--trace", second]);
        a.Out.ShouldContain(" INJECT random: ");
        b.Code.ShouldBe(a.Code);
        File.ReadAllBytes(second).ShouldBe(File.ReadAllBytes(first));
        // Another seed draws other injections.
        TraceFixture.Mk(["run", "pages", "--seed", "6", "--fault", "random p=0.1 kinds=syscall,preempt,delay"]).Out
            .ShouldNotBe(a.Out);
        ReplaysAndShows(first, "INJECT random: ");
    }

    /// <summary>One malformed rule of each kind, and the field its refusal names.</summary>
    public static TheoryData<string, string> BadRules => new()
    {
        { "syscall name=map nth=1 error=NoSuchThread", "error" },
        { "frames nth=1 count=0", "count" },
        { "kill pid=2", "tick" },
        { "crash pid=7 tick=1", "pid" },
        { "preempt tick=x", "tick" },
        { "flip pid=1 addr=0x10000100 bit=8 tick=1", "bit" },
        { "delay nth=1 ticks=0", "ticks" },
        { "kernel-bug name=skip-everything nth=1", "name" },
        { "random p=0.1 kinds=bogus", "kinds" },
    };

    [Theory]
    [MemberData(nameof(BadRules))]
    public void A_bad_rule_is_refused_before_the_run_from_the_option_and_from_the_scenario(string rule, string field)
    {
        var (code, output, err) = TraceFixture.Mk("run", "pages", "--fault", rule);
        code.ShouldBe(ExitCodes.BadInput);
        output.ShouldNotContain("tick who"); // refused before the run
        err.ShouldStartWith($"error: --fault: fault rule '{rule}': field '{field}': expected ");

        string scenario = ScenarioPath("pages", rule);
        var fromFile = TraceFixture.Mk("run", scenario);
        fromFile.Code.ShouldBe(ExitCodes.BadInput);
        fromFile.Err.ShouldContain($"{scenario}:{ScenarioRunner.BuiltInText("pages").Split('\n').Length + 1}: field '{field}': ");
        fromFile.Err.ShouldContain($"'{rule}'");
        TraceFixture.Mk("exec", CExamples.Fixture("hello"), "--fault", rule).Code.ShouldBe(ExitCodes.BadInput);
    }
}
