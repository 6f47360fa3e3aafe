using MicroKernel.Faults;
using MicroKernel.Memory;
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

    /// <summary>Runs the kernel and checks that the frame and process books balance and the kernel did not panic.</summary>
    public static (RunResult Result, EventLog Log) RunBalanced(this Kernel k)
    {
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldNotBe(RunOutcome.Panic, r.Panic?.ToString());
        k.ShouldBalance();
        return (r, log);
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
}
