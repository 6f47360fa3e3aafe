using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

public class RecordReplayTests
{
    public static TheoryData<string> BuiltIns => new(ScenarioRunner.BuiltInNames);

    [Theory]
    [MemberData(nameof(BuiltIns))]
    public void Every_built_in_scenario_replays_with_zero_divergence_and_twice_the_same(string scenario)
    {
        using var f = new TraceFixture();
        string trace = f.Record(scenario);
        var (code, first, err) = TraceFixture.Mk("replay", trace);
        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Ok, first);
        first.ShouldContain($"OK: all {TraceFixture.Read(trace).Events.Count} events match the recording");
        TraceFixture.Mk("replay", trace).Out.ShouldBe(first);
    }

    [Theory]
    [MemberData(nameof(BuiltIns))]
    public void Trace_driven_replay_of_every_built_in_scenario_matches(string scenario)
    {
        using var f = new TraceFixture();
        string trace = f.Record(scenario);
        var (code, output, _) = TraceFixture.Mk("replay", "--syscalls-only", trace);
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain("puppet threads re-issue the recorded syscalls");
        output.ShouldContain("every result as recorded");
        output.ShouldNotContain("note:");
        TraceFixture.Mk("replay", "--syscalls-only", trace).Out.ShouldBe(output);
    }

    [Theory]
    [InlineData("demo", "Random", "7")]
    [InlineData("pages", "Random", "3")]
    [InlineData("pages", "Priority", "1")]
    [InlineData("mpu", "Random", "5")]
    [InlineData("rpc", "Random", "3")]
    public void Other_schedulers_and_seeds_replay_in_every_mode(string scenario, string scheduler, string seed)
    {
        using var f = new TraceFixture();
        string trace = f.Record(scenario, "--scheduler", scheduler, "--seed", seed);
        TraceFixture.Read(trace).Header.Options["scheduler"].ShouldBe(scheduler);
        TraceFixture.Mk("replay", trace).Code.ShouldBe(ExitCodes.Ok);
        TraceFixture.Mk("replay", "--live-scheduler", trace).Code.ShouldBe(ExitCodes.Ok);
        TraceFixture.Mk("replay", "--syscalls-only", trace).Code.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void The_trace_holds_exactly_the_kernel_event_stream()
    {
        Scenario s = ScenarioRunner.Load("pages");
        var log = new EventLog();
        var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, TraceHeader.For(s.Name, s.Source, ScenarioRunner.BuiltInText("pages"), s.Config, TraceCommands.SyscallTable(), new Dictionary<string, string?>()), ownsStream: false);
        Kernel k = ScenarioRunner.Boot(s, [log, writer]);
        RunResult result = k.Run();
        writer.Finish(result);

        Trace trace = TraceReader.Read(buffer.ToArray(), "memory");
        trace.Events.Count.ShouldBe(log.Events.Count);
        for (int i = 0; i < log.Events.Count; i++)
        {
            KernelEvent live = log.Events[i];
            TraceEvent stored = trace.Events[i];
            stored.Event.ShouldBe(live with { Io = null });
            stored.Differences(TraceEvent.From(live, 0)).ShouldBeEmpty();
            if (live.Io is { } io)
                foreach ((UserIo u, IoSegment seg) in io.Zip(stored.Io!.Segments))
                    if (!u.Written) seg.Bytes.ShouldBe(u.Bytes.ToArray());
        }
        log.Events.ShouldContain(e => e.Kind == EventKind.Upcall);
        log.Events.ShouldContain(e => e.Kind == EventKind.Delivery);
        trace.Summary.ShouldBe(new TraceSummary(log.Events.Count, result.Outcome, result.Ticks, result.Switches));
        trace.Header.ScenarioText.ShouldBe(ScenarioRunner.BuiltInText("pages"));
        trace.Header.Build.ShouldBe(TraceHeader.BuildVersion);
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("queue")]
    public void Recording_twice_gives_the_same_bytes(string scenario)
    {
        using var f = new TraceFixture();
        File.ReadAllBytes(f.Record(scenario)).ShouldBe(File.ReadAllBytes(f.Record(scenario)));
    }

    [Fact]
    public void The_queue_scenario_checks_every_item_arrived_exactly_once_and_replays_under_other_schedules()
    {
        using var f = new TraceFixture();
        var (code, output, _) = TraceFixture.Mk("run", "queue");
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("queue check: 120 of 120 items arrived exactly once (0 missing, 0 duplicated, 0 corrupt) from 3 producers through 2 consumers: OK");
        output.ShouldContain("notifications: 11 objects,");
        output.ShouldContain("0 lock recoveries, count up to 5, 0 left open");
        string trace = f.Record("queue", "--scheduler", "Random", "--seed", "12");
        TraceFixture.Read(trace).Events.ShouldContain(e => e.Event.Kind == EventKind.Wake);
        TraceFixture.Mk("replay", trace).Code.ShouldBe(ExitCodes.Ok);
        TraceFixture.Mk("replay", "--syscalls-only", trace).Code.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void The_queue_over_rpc_records_the_same_bytes_twice_and_replays_with_zero_divergence_in_both_modes()
    {
        using var f = new TraceFixture();
        string scn = f.PathOf("queue-rpc.scn");
        File.WriteAllText(scn, ScenarioRunner.BuiltInText("queue").Replace("args=\"jobs 4 16\"", "args=\"jobs 4 16 rpc\""));
        string trace = f.Record(scn);
        File.ReadAllBytes(trace).ShouldBe(File.ReadAllBytes(f.Record(scn)));
        TraceFixture.Read(trace).Events.ShouldContain(e => e.Event.Kind == EventKind.RpcEnter);
        var (code, output, _) = TraceFixture.Mk("replay", trace);
        code.ShouldBe(ExitCodes.Ok, output);
        (code, output, _) = TraceFixture.Mk("replay", "--syscalls-only", trace);
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain("every result as recorded");
        TraceFixture.Mk("run", scn).Out.ShouldContain("120 of 120 items arrived exactly once");
    }

    [Fact]
    public void Run_trace_without_a_scenario_records_the_demo()
    {
        using var f = new TraceFixture();
        string path = f.PathOf("default.mktrace");
        var (code, output, _) = TraceFixture.Mk("run", "--trace", path);
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("scenario 'demo'");
        TraceFixture.Read(path).Header.ScenarioName.ShouldBe("demo");
    }

    [Fact]
    public void A_trace_alone_reproduces_the_run_even_when_its_scenario_file_is_gone()
    {
        using var f = new TraceFixture();
        string scn = f.PathOf("mine.scn");
        File.WriteAllText(scn, "memory 128\nscheduler random\nseed 9\nprocess a program=parallel-sum\nprocess b program=sleeper args=5\n");
        string trace = f.Record(scn, "--seed", "4");
        File.Delete(scn);
        var (code, output, _) = TraceFixture.Mk("replay", trace);
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain("seed 4");
        TraceFixture.Mk("replay", "--syscalls-only", trace).Code.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void A_trace_file_that_cannot_be_written_is_a_clear_error()
    {
        var (code, _, err) = TraceFixture.Mk("run", "demo", "--trace", "/nonexistent-dir/x.mktrace");
        code.ShouldBe(ExitCodes.IoError);
        err.ShouldContain("cannot write the trace");
    }
}
