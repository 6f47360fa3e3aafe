using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// Long traces for the scale tests: a program that makes getpid syscalls in a loop (two events each, ~6.5 bytes an
/// event), recorded through the library, and the replay of such a trace against the same program.
/// </summary>
internal static class LongTraces
{
    // Hands the writer each syscall as its two events (a sink that does not take syscall records).
    private sealed class EventsOnly(IEventSink inner) : IEventSink
    {
        public void Emit(in KernelEvent e) => inner.Emit(in e);
    }

    /// <summary>The header of every such trace (the demo's scenario: only the events matter here).</summary>
    public static TraceHeader Header()
    {
        Scenario s = ScenarioRunner.Load("demo");
        return TraceHeader.For(s.Name, s.Source, ScenarioRunner.BuiltInText("demo"), s.Config, TraceCommands.SyscallTable(), new Dictionary<string, string?>());
    }

    /// <summary>
    /// A kernel with the loop program (<paramref name="calls"/> getpid), scheduled by <paramref name="policy"/> (null:
    /// its own); <paramref name="sinks"/> see every event from the process's start on.
    /// </summary>
    public static Kernel Boot(long calls, ISchedulingPolicy? policy = null, params IEventSink[] sinks)
    {
        var k = new Kernel(Config, policy);
        foreach (IEventSink sink in sinks) k.AddSink(sink);
        k.Spawn("getpid-loop", sys =>
        {
            for (long i = 0; i < calls; i++) sys.Syscall(SyscallNumber.GetPid);
            return 0;
        });
        return k;
    }

    private static KernelConfig Config => new() { Frames = 64, MaxTicks = long.MaxValue / 4 };

    /// <summary>Records the loop into <paramref name="stream"/>; returns the run.</summary>
    public static RunResult Record(long calls, Stream stream, TraceCompression compression = TraceCompression.None)
    {
        using var writer = new TraceWriter(stream, Header(), ownsStream: false, compression);
        // As two events per syscall, not syscall records (1 byte an event): the scale tests want many blocks.
        using Kernel k = Boot(calls, null, new EventsOnly(writer));
        RunResult run = k.Run();
        writer.Finish(run);
        return run;
    }

    /// <summary>Records the loop into a file; returns its path.</summary>
    public static string RecordFile(TraceFixture f, long calls, TraceCompression compression = TraceCompression.None)
    {
        string path = f.PathOf($"getpid-{calls}-{compression}.mktrace");
        using (var file = File.Create(path)) Record(calls, file, compression);
        return path;
    }

    /// <summary>
    /// Replays <paramref name="trace"/> (a recording of the loop) under the recorded decisions, checking every event,
    /// as <c>mk replay</c> does; <paramref name="sink"/> also sees each replayed event. Returns the first divergence.
    /// </summary>
    public static Divergence? Replay(Trace trace, long calls, IEventSink? sink = null)
    {
        var checker = new ReplayChecker(trace.Events, 5);
        var policy = new ReplayPolicy(trace.Events, checker, 4);
        using Kernel k = sink is null ? Boot(calls, policy, checker) : Boot(calls, policy, checker, sink);
        policy.Attach(k);
        RunResult run = k.Run();
        checker.Finish(run, trace.Summary);
        return checker.Divergence;
    }

    /// <summary>
    /// Replays <paramref name="trace"/> trace-driven, as <c>mk replay --syscalls-only</c> does: a puppet re-issues the
    /// recorded syscalls from a streaming <see cref="PuppetPlan"/>; <paramref name="sink"/> sees each replayed event
    /// and the plan. Returns the first divergence.
    /// </summary>
    public static Divergence? ReplayPuppets(Trace trace, Action<KernelEvent, PuppetPlan>? sink = null)
    {
        var checker = new ReplayChecker(trace.Events, 5);
        var policy = new ReplayPolicy(trace.Events, checker, 4);
        using var k = new Kernel(Config, policy);
        policy.Attach(k);
        k.AddSink(checker);
        var plan = new PuppetPlan(trace.Events, checker);
        if (sink is not null) k.AddSink(new PlanProbe(plan, sink));
        var observer = new Observer(checker);
        k.Spawn(new PuppetImage(plan, "getpid-loop", observer), "getpid-loop", out _).ShouldBe(ErrorCode.Ok);
        RunResult run = k.Run();
        checker.Finish(run, trace.Summary);
        plan.Finish();
        return checker.Divergence;
    }

    private sealed class PlanProbe(PuppetPlan plan, Action<KernelEvent, PuppetPlan> sink) : IEventSink
    {
        public void Emit(in KernelEvent e) => sink(e, plan);
    }

    private sealed class Observer(ReplayChecker checker) : IPuppetObserver
    {
        public void Problem(Kernel kernel, string problem) => checker.Report(Math.Max(0, checker.Position - 1), problem);

        public void Note(string note)
        {
        }

        public void Issued()
        {
        }
    }
}
