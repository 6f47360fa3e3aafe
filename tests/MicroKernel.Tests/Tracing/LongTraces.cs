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

    /// <summary>A kernel with the loop program (<paramref name="calls"/> getpid), scheduled by <paramref name="policy"/> (null: its own).</summary>
    public static Kernel Boot(long calls, ISchedulingPolicy? policy = null)
    {
        var k = new Kernel(new KernelConfig { Frames = 64, MaxTicks = long.MaxValue / 4 }, policy);
        k.Spawn("getpid-loop", sys =>
        {
            for (long i = 0; i < calls; i++) sys.Syscall(SyscallNumber.GetPid);
            return 0;
        });
        return k;
    }

    /// <summary>Records the loop into <paramref name="stream"/>; returns the run.</summary>
    public static RunResult Record(long calls, Stream stream, TraceCompression compression = TraceCompression.None)
    {
        using var writer = new TraceWriter(stream, Header(), ownsStream: false, compression);
        Kernel k = Boot(calls);
        // As two events per syscall, not syscall records (1 byte an event): the scale tests want many blocks.
        k.AddSink(new EventsOnly(writer));
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
        Kernel k = Boot(calls, policy);
        policy.Attach(k);
        k.AddSink(checker);
        if (sink is not null) k.AddSink(sink);
        RunResult run = k.Run();
        checker.Finish(run, trace.Summary);
        return checker.Divergence;
    }
}
