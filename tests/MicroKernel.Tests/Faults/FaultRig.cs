using MicroKernel.Faults;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Faults;

/// <summary>Boots kernels with a fault plan, runs them logged, and replays a logged run against its recording.</summary>
internal static class FaultRig
{
    public static KernelConfig Config(ProtectionModel model = ProtectionModel.Paging, PolicyKind policy = PolicyKind.RoundRobin, ulong seed = 1, params FaultRule[] rules) =>
        new() { Frames = 512, Protection = model, Policy = policy, Seed = seed, MaxTicks = 200_000, Faults = new FaultPlan(rules) };

    public static Kernel Boot(params FaultRule[] rules) => new(Config(rules: rules));

    /// <summary>The Inject events of a run.</summary>
    public static List<KernelEvent> Injections(this EventLog log) => [.. log.Events.Where(e => e.Kind == EventKind.Inject)];

    /// <summary>The run as text, one formatted event a line (two equal runs give equal text).</summary>
    public static string Text(Kernel k, EventLog log) => string.Join("\n", log.Events.Select(new EventFormatter(k.Syscalls).Format));

    /// <summary>
    /// Runs the kernel and checks that the frame and process books balance after every injection (at the next syscall
    /// exit or process exit, when the kernel is between operations), at the end, and that the kernel did not panic.
    /// </summary>
    public static (RunResult Result, EventLog Log) RunBalanced(this Kernel k)
    {
        var books = new BooksAfterInjections(k);
        k.AddSink(books);
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldNotBe(RunOutcome.Panic, r.Panic?.ToString());
        books.Problems.ShouldBeEmpty();
        k.ShouldBalance();
        return (r, log);
    }

    internal sealed class BooksAfterInjections(Kernel k) : IEventSink
    {
        private bool _pending;

        public List<string> Problems { get; } = [];

        public void Emit(in KernelEvent e)
        {
            if (e.Kind == EventKind.Inject) _pending = true;
            else if (_pending && e.Kind is EventKind.SyscallExit or EventKind.ProcessExit)
            {
                _pending = false;
                long seq = e.Seq; // an 'in' parameter cannot be captured by the lambda below
                Problems.AddRange(k.CheckInvariants().Select(p => $"after event #{seq}: {p}"));
            }
        }
    }

    /// <summary>
    /// Replays a recorded run: a second kernel built by <paramref name="boot"/> (same config and programs) follows the
    /// recorded scheduling decisions and every event it emits is checked against <paramref name="recorded"/>, Inject
    /// events included. Returns the first divergence, or null.
    /// </summary>
    public static string? Replay(Func<ISchedulingPolicy, Kernel> boot, EventLog recorded, RunResult recordedRun, int quantum = 4)
    {
        List<TraceEvent> events = [.. recorded.Events.Select(e => TraceEvent.From(e, 0))];
        var checker = new ReplayChecker(events, 5);
        var policy = new ReplayPolicy(events, checker, quantum);
        Kernel k = boot(policy);
        policy.Attach(k);
        k.AddSink(checker);
        RunResult r = k.Run();
        checker.Finish(r, new TraceSummary(events.Count, recordedRun.Outcome, recordedRun.Ticks, recordedRun.Switches));
        return checker.Divergence is { } d
            ? $"event #{d.Seq}: {string.Join("; ", d.Differences)} (recorded {d.Recorded?.Event}, replayed {d.Replayed?.Event})"
            : null;
    }

    /// <summary>
    /// Records a run of <paramref name="programs"/> under <paramref name="config"/> from its first event, then replays it
    /// trace-driven (<c>--syscalls-only</c>): puppets re-issue the recorded syscalls in a kernel with the same plan, and
    /// every event and every syscall result is checked. Returns the first divergence or puppet problem, or null; and the
    /// recorded injections.
    /// </summary>
    public static (string? Problem, List<KernelEvent> Injections, long Issued) ReplayPuppets(KernelConfig config, params (string Name, Func<ProgramImage> Image)[] programs) =>
        ReplayPuppets(config, config, programs);

    /// <summary>As above, but the replay kernel boots with <paramref name="replayConfig"/> (to show what a missing plan does).</summary>
    public static (string? Problem, List<KernelEvent> Injections, long Issued) ReplayPuppets(KernelConfig config, KernelConfig replayConfig, params (string Name, Func<ProgramImage> Image)[] programs)
    {
        var recording = new Kernel(config);
        var log = new EventLog();
        recording.AddSink(log);
        foreach ((string name, Func<ProgramImage> image) in programs) recording.Spawn(image(), name, out _);
        RunResult run = recording.Run();
        List<TraceEvent> events = [.. log.Events.Select(e => TraceEvent.From(e, 1 << 20))];

        var checker = new ReplayChecker(events, 5);
        var policy = new ReplayPolicy(events, checker, config.Quantum);
        var replay = new Kernel(replayConfig, policy);
        policy.Attach(replay);
        replay.AddSink(checker);
        PuppetPlan plan = PuppetPlan.Build(events);
        var observer = new PuppetObserver(checker);
        foreach ((string name, Func<ProgramImage> image) in programs) replay.Spawn(new PuppetImage(plan, name, observer, image()), name, out _);
        RunResult replayed = replay.Run();
        checker.Finish(replayed, new TraceSummary(events.Count, run.Outcome, run.Ticks, run.Switches));
        string? problem = checker.Divergence is { } d
            ? $"event #{d.Seq}: {string.Join("; ", d.Differences)} (recorded {d.Recorded?.Event}, replayed {d.Replayed?.Event})"
            : null;
        return (problem, log.Injections(), observer.Issued);
    }

    private sealed class PuppetObserver(ReplayChecker checker) : IPuppetObserver
    {
        public long Issued { get; private set; }

        public void Problem(Kernel kernel, string problem) => checker.Report(Math.Max(0, checker.Position - 1), problem);

        public void Note(string note)
        {
        }

        void IPuppetObserver.Issued() => Issued++;
    }
}
