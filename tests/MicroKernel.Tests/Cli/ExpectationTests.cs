using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Tests.Tracing;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Cli;

/// <summary>
/// <c>expect</c> directives (docs/scenario-format.md, docs/faults.md): a scenario states how its run ends, <c>mk run</c>
/// checks and reports each statement, and exits 7 when one is not met; a malformed one is refused with file, line and
/// field (exit 2). Replay proves the same run event by event, so it does not check them again.
/// </summary>
public sealed class ExpectationTests : IDisposable
{
    private static readonly string[] Programs = ["hello", "sieve", "deadlock"];
    private readonly TraceFixture _files = new();

    public void Dispose() => _files.Dispose();

    private static Scenario Parse(string text) => ScenarioParser.Parse(text, "t.scn", Programs);

    private string Write(string text)
    {
        string path = _files.PathOf($"s{Guid.NewGuid():N}.scn");
        File.WriteAllText(path, text);
        return path;
    }

    private const string TwoProcesses = """
        seed 3
        process hello program=hello
        process sieve program=sieve args=100
        """;

    [Fact]
    public void The_three_forms_parse_in_file_order_with_their_lines()
    {
        Scenario s = Parse(TwoProcesses + """

            expect process=hello status=0
            expect process=sieve prints="25 primes below 100"   # a comment
            expect no-faults
            """);
        s.Expectations.Count.ShouldBe(3);
        s.Expectations[0].ShouldBe(new StatusExpectation("hello", 0) { Line = 4 });
        s.Expectations[1].ShouldBe(new PrintsExpectation("sieve", "25 primes below 100") { Line = 5 });
        s.Expectations[2].ShouldBe(new NoFaultsExpectation { Line = 6 });
        s.Expectations.Select(e => e.ToString()).ShouldBe(
            ["expect process=hello status=0", "expect process=sieve prints=\"25 primes below 100\"", "expect no-faults"]);
        Parse(TwoProcesses).Expectations.ShouldBeEmpty();
    }

    [Fact]
    public void An_expectation_may_come_before_the_process_it_names() =>
        Parse("expect process=late status=0\nprocess late program=hello").Expectations.Single().ShouldBe(new StatusExpectation("late", 0) { Line = 1 });

    [Theory]
    [InlineData("expect", 2, "expect", "expected process=NAME status=N")]
    [InlineData("expect no-faults please", 2, "no-faults", "takes no fields")]
    [InlineData("expect process=hello", 2, "status", "give status=N, prints=")]
    [InlineData("expect status=0", 2, "process", "missing")]
    [InlineData("expect process= status=0", 2, "process", "missing")]
    [InlineData("expect process=hello status=zero", 2, "status", "expected an integer exit status, got 'zero'")]
    [InlineData("expect process=hello status=0 prints=hi", 2, "prints", "not status= and prints=")]
    [InlineData("expect process=hello prints=\"\"", 2, "prints", "non-empty")]
    [InlineData("expect process=hello colour=red", 2, "colour", "unknown key")]
    [InlineData("expect process=hello status=0 status=1", 2, "status", "given twice")]
    [InlineData("expect hello", 2, "hello", "expected key=value")]
    [InlineData("expect process=nobody status=0", 2, "process", "no process named 'nobody' in the scenario (known: hello)")]
    public void A_malformed_expectation_names_the_line_and_the_field(string line, int lineNo, string field, string problem)
    {
        var e = Should.Throw<ScenarioException>(() => Parse("process hello program=hello\n" + line));
        e.Line.ShouldBe(lineNo);
        e.Field.ShouldBe(field);
        e.Message.ShouldStartWith($"t.scn:{lineNo}: field '{field}': ");
        e.Message.ShouldContain(problem);
    }

    [Fact]
    public void Run_refuses_a_malformed_expectation_with_exit_2_and_file_line_field()
    {
        string path = Write(TwoProcesses + "\nexpect process=sieve status=many\n");
        var (code, output, err) = TraceFixture.Mk("run", path);
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldBe($"error: {path}:4: field 'status': expected an integer exit status, got 'many'" + Environment.NewLine);
        output.ShouldBeEmpty();
    }

    [Fact]
    public void Met_expectations_are_reported_one_a_line_and_the_run_exits_0()
    {
        string path = Write(TwoProcesses + """

            expect process=hello status=0
            expect process=sieve prints="25 primes below 100"
            expect no-faults
            """);
        var (code, output, err) = TraceFixture.Mk("run", path);
        code.ShouldBe(ExitCodes.Ok, err);
        err.ShouldBeEmpty();
        output.ShouldContain("expectations: 3 of 3 met");
        output.ShouldContain($"  met    {path}:4: expect process=hello status=0: exited with status 0");
        output.ShouldContain($"  met    {path}:5: expect process=sieve prints=\"25 primes below 100\": printed \"25 primes below 100\"");
        output.ShouldContain($"  met    {path}:6: expect no-faults: no process faulted");
    }

    [Fact]
    public void An_unmet_expectation_exits_7_and_says_what_the_run_showed()
    {
        string path = Write(TwoProcesses + """

            expect process=hello status=1
            expect process=hello prints="25 primes below 100"
            expect process=sieve prints="25 primes below 100"
            """);
        var (code, output, err) = TraceFixture.Mk("run", path);
        code.ShouldBe(ExitCodes.ExpectationFailed);
        output.ShouldContain("expectations: 1 of 3 met");
        output.ShouldContain($"  FAILED {path}:4: expect process=hello status=1: exited with status 0");
        // prints= looks at the named process's console only: the sieve's line is not hello's.
        output.ShouldContain($"  FAILED {path}:5: expect process=hello prints=\"25 primes below 100\": not in its 2 console lines; the last was \"sum of squares below 1024 = 357389824\"");
        output.ShouldContain($"  met    {path}:6:");
        err.ShouldBe("error: 2 of 3 expectations failed" + Environment.NewLine);
    }

    [Fact]
    public void No_faults_fails_on_a_faulting_process_and_names_the_fault()
    {
        string path = Write("process f program=faulter\nexpect no-faults\nexpect process=f status=129\n");
        var (code, output, _) = TraceFixture.Mk("run", path);
        code.ShouldBe(ExitCodes.ExpectationFailed);
        output.ShouldContain($"  FAILED {path}:2: expect no-faults: pid 1 (f) a fault: ReadOnly at 0x10004000 (tick ");
        output.ShouldContain($"  met    {path}:3: expect process=f status=129: exited with status 129 after a fault: ReadOnly at 0x10004000");
    }

    [Fact]
    public void A_deadlock_keeps_exit_3_even_when_an_expectation_fails()
    {
        string path = Write("process stuck program=deadlock\nexpect process=stuck status=0\n");
        var (code, output, _) = TraceFixture.Mk("run", path);
        code.ShouldBe(ExitCodes.Deadlock);
        output.ShouldContain($"  FAILED {path}:2: expect process=stuck status=0: exited with status 137");
    }

    public static TheoryData<string> ScenarioFiles => new(Directory.GetFiles(Path.Combine(CExamples.RepoRoot, "sim", "scenarios"), "*.scn").Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(ScenarioFiles))]
    public void Every_scenario_file_states_what_it_shows_and_meets_it(string path)
    {
        Scenario s = ScenarioRunner.Load(path);
        s.Expectations.ShouldNotBeEmpty();
        var (code, output, err) = TraceFixture.Mk("run", path);
        code.ShouldBe(s.Name == "deadlock" ? ExitCodes.Deadlock : ExitCodes.Ok, err);
        output.ShouldContain($"expectations: {s.Expectations.Count} of {s.Expectations.Count} met");
        output.ShouldNotContain("  FAILED ", Case.Sensitive);
    }

    [Fact]
    public void The_queue_scenario_checks_that_every_item_arrived_once()
    {
        var (code, output, _) = TraceFixture.Mk("run", "queue");
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("  met    builtin:queue:22: expect process=checker prints=\"120 of 120 items arrived exactly once\"");
    }

    [Fact]
    public void Replay_of_a_run_whose_expectation_failed_reproduces_it_without_judging_it_again()
    {
        string scenario = Write(TwoProcesses + "\nexpect process=hello status=1\n");
        string trace = _files.PathOf("failed.mktrace");
        var (code, output, _) = TraceFixture.Mk("run", scenario, "--trace", trace);
        code.ShouldBe(ExitCodes.ExpectationFailed);
        output.ShouldContain("FAILED");
        output.ShouldContain($"written to {trace}");
        // The expect line travels in the header's scenario text; replay parses it and checks events, not expectations.
        TraceFixture.Read(trace).Header.ScenarioText.ShouldContain("expect process=hello status=1");
        var (replayCode, replayOut, replayErr) = TraceFixture.Mk("replay", trace);
        replayCode.ShouldBe(ExitCodes.Ok, replayOut + replayErr);
        replayOut.ShouldNotContain("expectations");
        TraceFixture.Mk("replay", "--syscalls-only", trace).Code.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void The_careful_mapper_prints_the_same_sum_as_the_careless_one_when_map_succeeds()
    {
        string path = Write("process m program=careless-mapper args=careful\nexpect process=m prints=\"careless-mapper: 512 entries, sum 392448\"\nexpect process=m status=0\n");
        TraceFixture.Mk("run", path).Code.ShouldBe(ExitCodes.Ok);
    }
}
