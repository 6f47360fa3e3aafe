using MicroKernel.Processes;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// The puppet plan of <c>replay --syscalls-only</c> streams: it reads the trace only a window past the replay's
/// position, and finds the exit of a syscall that blocked past that window by reading ahead without keeping what it
/// passes.
/// </summary>
public class StreamingPlanTests
{
    [Fact]
    public void A_plan_reads_a_window_past_the_replay_not_the_trace()
    {
        List<TraceEvent> events = Record(new KernelConfig { Frames = 64, MaxTicks = 100_000 }, ("loop", sys =>
        {
            for (int i = 0; i < 5000; i++) sys.Syscall(SyscallNumber.GetPid);
            return 0;
        }
        ));
        var cursor = new StuckCursor();
        var plan = new PuppetPlan(events, cursor);

        plan.Thread(events.First(e => e.Event.Kind == EventKind.ThreadStart).Event.Tid).ShouldNotBeNull();
        plan.EventsRead.ShouldBe(PuppetPlan.Window);
        cursor.Position = 4000;
        plan.ReadAhead();
        plan.EventsRead.ShouldBe(4000 + PuppetPlan.Window);
        PuppetPlan.Build(events).EventsRead.ShouldBe(events.Count);
    }

    [Fact]
    public void The_exit_of_a_syscall_blocked_past_the_window_is_found_past_nested_pairs()
    {
        // Tid 1's rpc_call runs a method on tid 1 (its syscalls come in pairs), while tid 2 makes 3000 events.
        var events = new List<TraceEvent>();
        void Add(EventKind kind, int tid, long code = 0, long result = 0) =>
            events.Add(new TraceEvent(new KernelEvent { Kind = kind, Seq = events.Count, Pid = tid, Tid = tid, Tick = events.Count + 1, Code = code, Result = result }, null));
        Add(EventKind.ThreadStart, 1);
        Add(EventKind.SyscallEnter, 1, (long)SyscallNumber.RpcCall);
        events.Add(new TraceEvent(new KernelEvent { Kind = EventKind.RpcEnter, Seq = events.Count, Pid = 1, Tid = 1, Tick = events.Count + 1, A2 = 1 }, null));
        Add(EventKind.SyscallEnter, 1, (long)SyscallNumber.GetPid);
        for (int i = 0; i < 3000; i++) Add(EventKind.Console, 2);
        Add(EventKind.SyscallExit, 1, (long)SyscallNumber.GetPid, 1);
        events.Add(new TraceEvent(new KernelEvent { Kind = EventKind.RpcReturn, Seq = events.Count, Pid = 1, Tid = 1, Tick = events.Count + 1, A2 = 1 }, null));
        Add(EventKind.SyscallExit, 1, (long)SyscallNumber.RpcCall, 42);
        var plan = new PuppetPlan(events, new StuckCursor());

        var call = (SyscallStep)plan.Peek(plan.Thread(1)!.Body)!;

        call.Exit.ShouldBeNull();
        plan.ExitOf(call)!.Event.Result.ShouldBe(42);
        plan.ExitScans.ShouldBe(1);
        plan.EventsRead.ShouldBe(PuppetPlan.Window);
    }

    [Fact]
    public void Puppets_replay_a_syscall_that_blocked_past_the_window()
    {
        // The sleeper's sleep returns 6,000 events later: its puppet issues it before the plan has read its exit.
        (string, Func<Sys, long>) program = ("sleeper", sys =>
        {
            int tid = sys.CreateThread((s, _) =>
            {
                s.Sleep(20_000);
                s.Print("awake\n");
                return 7;
            });
            for (int i = 0; i < 3000; i++) sys.Syscall(SyscallNumber.GetPid);
            return sys.Join(tid);
        }
        );
        var config = new KernelConfig { Frames = 64, MaxTicks = 100_000 };
        List<TraceEvent> events = Record(config, program);

        var checker = new ReplayChecker(events, 5);
        var policy = new ReplayPolicy(events, checker, config.Quantum);
        using var replay = new Kernel(config, policy);
        policy.Attach(replay);
        replay.AddSink(checker);
        var plan = new PuppetPlan(events, checker);
        var observer = new Observer(checker);
        replay.Spawn(new PuppetImage(plan, "sleeper", observer, Image(program)), "sleeper", out _).ShouldBe(ErrorCode.Ok);
        RunResult run = replay.Run();
        checker.Finish(run, new TraceSummary(events.Count, run.Outcome, run.Ticks, run.Switches));
        plan.Finish();

        checker.Divergence.ShouldBeNull(checker.Divergence is { } d ? string.Join("; ", d.Differences) : "");
        observer.Problems.ShouldBeEmpty();
        plan.ExitScans.ShouldBeGreaterThan(0);
        observer.Issued.ShouldBe(plan.SyscallCount);
    }

    private static ManagedProgram Image((string Name, Func<Sys, long> Main) program) => new(program.Name, () => new Program(program.Main));

    private static List<TraceEvent> Record(KernelConfig config, (string Name, Func<Sys, long> Main) program)
    {
        using var k = new Kernel(config);
        var log = new EventLog();
        k.AddSink(log);
        k.Spawn(Image(program), program.Name, out _).ShouldBe(ErrorCode.Ok);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        return [.. log.Events.Select(e => TraceEvent.From(e, 1 << 20))];
    }

    private sealed class Program(Func<Sys, long> main) : UserProgram
    {
        public override long Main(Sys sys) => main(sys);
    }

    private sealed class StuckCursor : IReplayCursor
    {
        public long Position { get; set; }

        public bool Diverged => false;
    }

    private sealed class Observer(ReplayChecker checker) : IPuppetObserver
    {
        public List<string> Problems { get; } = [];

        public long Issued { get; private set; }

        public void Problem(Kernel kernel, string problem)
        {
            Problems.Add(problem);
            checker.Report(Math.Max(0, checker.Position - 1), problem);
        }

        public void Note(string note) => Problems.Add(note);

        void IPuppetObserver.Issued() => Issued++;
    }
}
