using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

public class DivergenceTests
{
    // The sequence number of the exit event of the nth recorded call of a syscall: where the seam must show.
    private static long ExitOfCall(Trace trace, SyscallNumber number, int n) =>
        trace.Events.Where(t => t.Event.Kind == EventKind.SyscallExit && t.Event.Code == (long)number).ElementAt(n - 1).Event.Seq;

    [Theory]
    [InlineData("pages", "map", SyscallNumber.Map, 2, false)]
    [InlineData("demo", "write", SyscallNumber.Write, 3, false)]
    [InlineData("pages", "send", SyscallNumber.Send, 1, true)]
    [InlineData("demo", "time", SyscallNumber.Time, 2, true)]
    [InlineData("rpc", "rpc_call", SyscallNumber.RpcCall, 2, true)]
    public void An_altered_kernel_diverges_at_exactly_the_altered_event(string scenario, string syscall, SyscallNumber number, int call, bool puppets)
    {
        using var f = new TraceFixture();
        string path = f.Record(scenario);
        Trace trace = TraceFixture.Read(path);
        long seq = ExitOfCall(trace, number, call);
        KernelEvent recorded = trace.Events[(int)seq].Event;
        string[] args = puppets ? ["replay", "--syscalls-only", path, "--break", $"{syscall}:{call}"] : ["replay", path, "--break", $"{syscall}:{call}"];

        var (code, output, err) = TraceFixture.Mk(args);

        code.ShouldBe(ExitCodes.Divergence, output + err);
        output.ShouldContain($"DIVERGENCE at event #{seq} (tick {recorded.Tick}), after {seq} matching events:");
        string[] lines = output.Split('\n');
        string recordedLine = lines.Single(l => l.StartsWith("  recorded: ", StringComparison.Ordinal));
        string replayedLine = lines.Single(l => l.StartsWith("  replayed: ", StringComparison.Ordinal));
        recordedLine.ShouldContain($"#{seq} ");
        recordedLine.ShouldContain($"{syscall}(");
        recordedLine.ShouldContain($") = {Formatted(recorded.Result, number)}");
        replayedLine.ShouldContain($") = {Formatted(recorded.Result + 1, number)}");
        output.ShouldContain($"result: recorded ");
        output.ShouldContain("the 5 events before it (identical in both runs):");
        for (long i = seq - 5; i < seq; i++) output.ShouldContain($"    #{i} ");
        output.ShouldContain($"replay: DIVERGED at event #{seq} of {trace.Events.Count}");
        TraceFixture.Mk(args).Out.ShouldBe(output); // a divergence is reported the same way every time
    }

    private static string Formatted(long result, SyscallNumber number) => number == SyscallNumber.Map ? $"0x{result:x}" : result.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void The_planted_bug_alters_exactly_one_result_and_is_off_by_default()
    {
        var k = TestKernels.Boot();
        k.BrokenSyscall.ShouldBeNull();
        var seen = new List<long>();
        k.BrokenSyscall = ((long)SyscallNumber.GetPid, 2);
        k.Spawn("p", sys =>
        {
            for (int i = 0; i < 3; i++) seen.Add(sys.Syscall(SyscallNumber.GetPid));
            return 0;
        });
        k.Run();
        seen.ShouldBe([1, 2, 1]);
    }

    [Fact]
    public void A_replay_that_ends_early_or_late_diverges_at_the_first_missing_event()
    {
        var events = new List<TraceEvent>
        {
            new(new KernelEvent { Seq = 0, Kind = EventKind.ProcessStart, Pid = 1, Text = "a" }, null),
            new(new KernelEvent { Seq = 1, Kind = EventKind.ProcessExit, Pid = 1 }, null),
        };
        var checker = new ReplayChecker(events, 5);
        checker.Emit(new KernelEvent { Seq = 0, Kind = EventKind.ProcessStart, Pid = 1, Text = "a" });
        checker.Finish(new RunResult(RunOutcome.Completed, 0, 0, [], null, null), new TraceSummary(2, RunOutcome.Completed, 0, 0));
        checker.Divergence!.Seq.ShouldBe(1);
        checker.Divergence.Replayed.ShouldBeNull();
        checker.Divergence.Differences.ShouldContain("the replay ended here, the recording goes on");

        var late = new ReplayChecker(events, 5);
        late.Emit(new KernelEvent { Seq = 0, Kind = EventKind.ProcessStart, Pid = 1, Text = "a" });
        late.Emit(new KernelEvent { Seq = 1, Kind = EventKind.ProcessExit, Pid = 1 });
        late.Emit(new KernelEvent { Seq = 2, Kind = EventKind.Idle });
        late.Divergence!.Seq.ShouldBe(2);
        late.Divergence.Recorded.ShouldBeNull();
        late.Divergence.Before.Count.ShouldBe(2);
    }

    [Fact]
    public void Bad_break_options_are_usage_errors()
    {
        using var f = new TraceFixture();
        string path = f.Record("deadlock");
        TraceFixture.Mk("replay", path, "--break", "map:0").Code.ShouldBe(ExitCodes.Usage);
        var (code, _, err) = TraceFixture.Mk("replay", path, "--break", "frobnicate");
        code.ShouldBe(ExitCodes.Usage);
        err.ShouldContain("no syscall named 'frobnicate'");
    }
}
