using BenchmarkDotNet.Attributes;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Benchmarks;

/// <summary>
/// What recording costs: the demo scenario run without any sink (the baseline) against the same run recording a
/// trace (header included) into memory; a null-syscall loop (two events per syscall, the worst case) with and
/// without a trace (and with a sink that only counts, which isolates the kernel's cost of building events); replaying the demo trace (programs, and puppets); reading it; and the binary encoder against the
/// JSON Lines converter on the same events (the format choice in docs/trace-format.md).
/// </summary>
[MemoryDiagnoser]
public class TraceBenchmarks
{
    private const int Calls = 20_000;
    private Scenario _demo = null!;
    private TraceHeader _header = null!;
    private byte[] _demoTrace = [];
    private Trace _trace = null!;
    private List<KernelEvent> _live = [];

    [GlobalSetup]
    public void Setup()
    {
        _demo = ScenarioRunner.Load("demo");
        _header = Header(_demo);
        _demoTrace = RecordDemo();
        _trace = TraceReader.Read(_demoTrace, "demo");
        var log = new EventLog();
        ScenarioRunner.Boot(_demo, [log]).Run();
        _live = [.. log.Events];
    }

    [Benchmark(Baseline = true)]
    public RunResult DemoWithoutTrace() => ScenarioRunner.Boot(_demo).Run();

    [Benchmark]
    public byte[] DemoRecordingTrace() => RecordDemo();

    [Benchmark]
    public long NullSyscallsWithoutTrace() => SyscallLoop(null);

    [Benchmark]
    public long NullSyscallsCountingSink() => SyscallLoop(new CountingSink());

    [Benchmark]
    public long NullSyscallsRecordingTrace()
    {
        using var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, _header, ownsStream: false);
        SyscallLoop(writer);
        return buffer.Length;
    }

    [Benchmark]
    public long ReplayDemo() => Replayer.Replay(_trace, new ReplayOptions()).EventsReplayed;

    [Benchmark]
    public long ReplayDemoSyscallsOnly() => Replayer.Replay(_trace, new ReplayOptions(SyscallsOnly: true)).EventsReplayed;

    [Benchmark]
    public int ReadDemoTrace() => TraceReader.Read(_demoTrace, "demo").Events.Count;

    [Benchmark]
    public long EncodeDemoEventsBinary()
    {
        using var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, _header, ownsStream: false);
        foreach (KernelEvent e in _live) writer.Emit(e);
        writer.Finish(new RunResult(RunOutcome.Completed, 0, 0, [], null, null));
        return buffer.Length;
    }

    [Benchmark]
    public long EncodeDemoEventsJsonLines()
    {
        using var buffer = new MemoryStream();
        TraceShow.JsonLines(_trace, ShowFilter.All, Formatter, buffer);
        return buffer.Length;
    }

    private static readonly EventFormatter Formatter = new(TraceCommands.SyscallTable());

    private byte[] RecordDemo()
    {
        using var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, Header(_demo), ownsStream: false);
        Kernel k = ScenarioRunner.Boot(_demo, [writer]);
        writer.Finish(k.Run());
        return buffer.ToArray();
    }

    private static TraceHeader Header(Scenario s) =>
        TraceHeader.For(s.Name, s.Source, ScenarioRunner.BuiltInText("demo"), s.Config, TraceCommands.SyscallTable(), new Dictionary<string, string?>());

    private static long SyscallLoop(IEventSink? sink)
    {
        var k = new Kernel(new KernelConfig { Frames = 64, AccessesPerTick = 1 << 20, MaxTicks = long.MaxValue });
        if (sink is not null) k.AddSink(sink);
        long sum = 0;
        k.Spawn(new Userland.Loader.ManagedProgram("bench", () => new Loop(s =>
        {
            for (int i = 0; i < Calls; i++) sum += s.Syscall(SyscallNumber.GetPid);
            return 0;
        })), "bench", out _);
        k.Run();
        return sum;
    }

    // Events are built by the kernel as soon as any sink listens: this one isolates that cost from the encoder's.
    private sealed class CountingSink : IEventSink
    {
        public long Count { get; private set; }

        public void Emit(KernelEvent e) => Count++;
    }

    private sealed class Loop(Func<Userland.Runtime.Sys, long> main) : Userland.Runtime.UserProgram
    {
        public override long Main(Userland.Runtime.Sys sys) => main(sys);
    }
}
