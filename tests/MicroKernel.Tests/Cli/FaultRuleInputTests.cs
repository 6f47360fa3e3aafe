using System.Text;
using MicroKernel.Faults;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Tracing;
using MicroKernel.Tests.X86;
using MicroKernel.X86;

namespace MicroKernel.Tests.Cli;

/// <summary>
/// Fault rules reach a run three ways: a scenario's <c>fault</c> lines, <c>--fault</c> on <c>run</c> and <c>exec</c>,
/// and a trace header (replay). Each way builds <see cref="KernelConfig.Faults"/>, and refuses a bad rule before the run.
/// </summary>
public class FaultRuleInputTests
{
    private static readonly string[] Programs = ["hello", "sieve"];

    private static Scenario Parse(string text) => ScenarioParser.Parse(text, "t.scn", Programs);

    private static (int Code, string Out, string Err, FaultPlan? Plan) Mk(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        FaultPlan? plan = null;
        int code = new CliApp(output, error) { Booted = k => plan = k.Config.Faults }.Invoke(args);
        return (code, output.ToString(), error.ToString(), plan);
    }

    [Fact]
    public void Fault_lines_are_repeatable_come_anywhere_and_keep_their_order()
    {
        Scenario s = Parse("""
            fault kill pid=2 tick=50
            process a program=hello
            fault syscall name=map nth=2 error=OutOfMemory   # a comment
            process b program=sieve
            fault "preempt tick=7"
            """);
        s.Config.Faults.Rules.ShouldBe([new KillFaultRule(2, 50, null), new SyscallFaultRule("map", 2, ErrorCode.OutOfMemory), new PreemptFaultRule(7)]);
        Parse("process a program=hello").Config.Faults.IsEmpty.ShouldBeTrue();
    }

    [Theory]
    [InlineData("fault", 2, "kind", "a rule kind")]
    [InlineData("fault frames nth=zero", 2, "nth", "in fault rule 'frames nth=zero': expected a whole number >= 1, got 'zero'")]
    [InlineData("fault syscall name=write nth=1 error=NoMpuRegion", 2, "error", "an error write is documented to return (InvalidArgument, BadAddress)")]
    [InlineData("fault kill pid=1", 2, "tick", "exactly one of tick=T or syscall=N")]
    [InlineData("fault crash pid=3 tick=5", 2, "pid", "in fault rule 'crash pid=3 tick=5': expected the pid of a process the run starts (1..2), got 3")]
    [InlineData("fault syscall name=map nth=1 error=OutOfMemory pid=9", 2, "pid", "(1..2), got 9")]
    public void A_bad_fault_line_names_file_line_and_field(string faultLine, int line, string field, string problem)
    {
        var e = Should.Throw<ScenarioException>(() => Parse($"process a program=hello\n{faultLine}\nprocess b program=sieve\n"));
        e.File.ShouldBe("t.scn");
        e.Line.ShouldBe(line);
        e.Field.ShouldBe(field);
        e.Message.ShouldStartWith($"t.scn:{line}: field '{field}': ");
        e.Message.ShouldContain(problem);
    }

    [Fact]
    public void Run_refuses_a_bad_fault_line_with_exit_2()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mk-fault-{Guid.NewGuid():N}.scn");
        File.WriteAllText(path, "process a program=hello\n\nfault flip pid=1 addr=0x10000000 bit=9 tick=3\n");
        try
        {
            var (code, output, err, plan) = Mk("run", path);
            code.ShouldBe(ExitCodes.BadInput);
            err.ShouldContain($"{path}:3: field 'bit': in fault rule 'flip pid=1 addr=0x10000000 bit=9 tick=3': expected a bit number 0-7, got '9'");
            output.ShouldBeEmpty();
            plan.ShouldBeNull(); // refused before any kernel booted
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Run_fault_options_follow_the_scenarios_own_rules()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mk-fault-{Guid.NewGuid():N}.scn");
        File.WriteAllText(path, "process a program=hello\nprocess b program=hello\nfault preempt tick=3\n");
        try
        {
            // The frames rule is past the spawns (a spawn refused by a rule is a scenario that cannot start, exit 2).
            var (code, _, err, plan) = Mk("run", path, "--fault", "frames nth=400 count=2", "--fault", "kill pid=2 syscall=1");
            code.ShouldBe(ExitCodes.Ok, err);
            plan!.Rules.ShouldBe([new PreemptFaultRule(3), new FramesFaultRule(400, 2), new KillFaultRule(2, null, 1)]);
        }
        finally
        {
            File.Delete(path);
        }
        Mk("run", "demo").Plan!.IsEmpty.ShouldBeTrue();
    }

    [Theory]
    [InlineData("bogus", "field 'kind': expected a rule kind")]
    [InlineData("syscall name=yield nth=1 error=TimedOut", "field 'error': expected no error: yield is documented to return none")]
    [InlineData("kill pid=6 tick=10", "field 'pid': expected the pid of a process the run starts (1..5), got 6")]
    public void Run_refuses_a_bad_fault_option_with_exit_2(string rule, string problem)
    {
        var (code, output, err, plan) = Mk("run", "demo", "--fault", "preempt tick=1", "--fault", rule);
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldStartWith($"error: --fault: fault rule '{rule}': {problem}");
        output.ShouldBeEmpty();
        plan.ShouldBeNull();
    }

    [Theory]
    [InlineData(X86CpuMode.Interpret)]
    [InlineData(X86CpuMode.Translate)]
    public void Exec_takes_fault_options_for_its_one_process(X86CpuMode cpu)
    {
        X86CpuModes.Use(cpu);
        string hello = CExamples.Fixture("hello");
        var (code, output, err, plan) = Mk("exec", hello, "--fault", "crash pid=1 tick=1000000", "--fault", "delay nth=1 ticks=2");
        (code, output, err).ShouldBe((0, "hello from C\n", ""));
        plan!.Rules.ShouldBe([new CrashFaultRule(1, 1000000), new DelayFaultRule(1, 2)]);

        var refused = Mk("exec", hello, "--fault", "kill pid=2 tick=1");
        refused.Code.ShouldBe(ExitCodes.BadInput);
        refused.Err.ShouldContain("error: --fault: fault rule 'kill pid=2 tick=1': field 'pid': expected the pid of a process the run starts (1), got 2");
        refused.Out.ShouldBeEmpty();
        Mk("exec", hello, "--fault", "random p=2").Code.ShouldBe(ExitCodes.BadInput);
    }

    [Fact]
    public void A_trace_header_holds_the_plan_and_both_replays_run_with_it()
    {
        using var fixture = new TraceFixture();
        string scenario = fixture.PathOf("faulty.scn");
        File.WriteAllText(scenario, "process a program=hello\nfault preempt tick=1000000\n");
        string path = fixture.Record(scenario, "--fault", "syscall name=map nth=1000 error=OutOfMemory pid=1");
        Trace trace = TraceFixture.Read(path);
        string[] rules = ["preempt tick=1000000", "syscall name=map nth=1000 error=OutOfMemory pid=1"];
        trace.Header.Faults.ShouldBe(rules);
        Encoding.UTF8.GetString(trace.Header.ToJson()).ShouldContain("\"faults\": [\n    \"preempt tick=1000000\",");

        foreach (bool syscallsOnly in new[] { false, true })
        {
            FaultPlan? replayed = null;
            ReplayResult result = Replayer.Replay(trace, new ReplayOptions(SyscallsOnly: syscallsOnly, Booted: k => replayed = k.Config.Faults));
            result.Divergence.ShouldBeNull();
            replayed!.Rules.Select(r => r.Text).ShouldBe(rules);
        }
        var (code, output, err, _) = Mk("replay", "--syscalls-only", path);
        code.ShouldBe(ExitCodes.Ok, err + output);
    }

    [Theory]
    [InlineData(X86CpuMode.Interpret)]
    [InlineData(X86CpuMode.Translate)]
    public void Exec_trace_records_its_fault_options_for_replay(X86CpuMode cpu)
    {
        X86CpuModes.Use(cpu);
        using var fixture = new TraceFixture();
        string path = fixture.PathOf("exec.mktrace");
        var (code, _, err, _) = Mk("exec", CExamples.Fixture("hello"), "--trace", path, "--fault", "kill pid=1 tick=1000000");
        code.ShouldBe(0, err);
        Trace trace = TraceFixture.Read(path);
        trace.Header.Faults.ShouldBe(["kill pid=1 tick=1000000"]);
        FaultPlan? replayed = null;
        Replayer.Replay(trace, new ReplayOptions(Booted: k => replayed = k.Config.Faults)).Divergence.ShouldBeNull();
        replayed!.Rules.ShouldBe([new KillFaultRule(1, 1000000, null)]);
    }

    [Fact]
    public void The_plan_survives_the_json_header_and_a_bad_rule_there_is_a_format_error()
    {
        var config = new KernelConfig { Faults = FaultPlan.Parse(["flip pid=1 addr=0x1000 bit=3 tick=9", "random p=0.5 kinds=frames"]) };
        TraceHeader header = TraceHeader.For("t", "t.scn", "process a program=hello\n", config, TraceCommands.SyscallTable(), new Dictionary<string, string?>());
        header.Faults.ShouldBe(["flip pid=1 addr=0x1000 bit=3 tick=9", "random p=0.5 kinds=frames"]);
        TraceHeader back = TraceHeader.FromJson(header.ToJson(), "t.mktrace", 0);
        back.Faults.ShouldBe(header.Faults);
        back.ApplyOverrides(new KernelConfig()).Faults.Rules.ShouldBe(config.Faults.Rules);

        string json = Encoding.UTF8.GetString(header.ToJson());
        string bad = json.Replace("bit=3", "bit=12", StringComparison.Ordinal);
        Should.Throw<TraceFormatException>(() => TraceHeader.FromJson(Encoding.UTF8.GetBytes(bad), "bad.mktrace", 0))
            .Message.ShouldContain("fault rule 'flip pid=1 addr=0x1000 bit=12 tick=9': field 'bit'");

        // Traces recorded before fault plans existed have no "faults": they replay with none.
        int from = json.IndexOf("  \"faults\"", StringComparison.Ordinal);
        string old = json[..from] + json[(json.IndexOf("],\n", from, StringComparison.Ordinal) + 3)..];
        old.ShouldNotContain("\"faults\"", Case.Sensitive);
        TraceHeader.FromJson(Encoding.UTF8.GetBytes(old), "old.mktrace", 0).Faults.ShouldBeEmpty();
    }

    [Fact]
    public void Replay_refuses_a_header_rule_whose_pid_the_scenario_lacks()
    {
        using var fixture = new TraceFixture();
        string path = fixture.Record("demo", "--fault", "kill pid=5 tick=1000000");
        Trace trace = TraceFixture.Read(path);
        Trace edited = trace with { Header = trace.Header with { Faults = ["kill pid=6 tick=1000000"] } };
        Should.Throw<ScenarioException>(() => Replayer.Replay(edited, new ReplayOptions())).Field.ShouldBe("pid");
    }
}
