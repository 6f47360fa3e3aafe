using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Benchmarks;

/// <summary>
/// What recording costs: the demo scenario run without any sink (the baseline) against the same run recording a
/// trace (header included) into memory; a null-syscall loop (two events per syscall, the worst case) with and
/// without a trace (and with a sink that only counts, which isolates the kernel's cost of building events); replaying
/// the demo trace (programs, and puppets); reading it; and the binary encoder against the JSON Lines converter on the
/// same events (the format choice in docs/trace-format.md). The demo runs at its scenario's settings (64 accesses
/// per tick, the default) and the null-syscall loop at the default <see cref="KernelConfig"/> (it makes no user
/// memory access, so AccessesPerTick does not matter to it).
/// The Bytes/event column (<see cref="BytesPerEventColumn"/>) gives the size side: the trace bytes per event of
/// each benchmark that writes a trace or JSON Lines.
/// </summary>
[Config(typeof(WithBytesPerEvent))]
[BenchmarkCategory("trace")]
public class TraceBenchmarks
{
    private const int Calls = 20_000;
    private Scenario _demo = null!;
    private TraceHeader _header = null!;
    private byte[] _demoTrace = [];
    private Trace _trace = null!;
    private List<KernelEvent> _live = [];

    /// <summary>Adds the Bytes/event column to this class's summary.</summary>
    public sealed class WithBytesPerEvent : ManualConfig
    {
        /// <summary>The column, on top of the default configuration.</summary>
        public WithBytesPerEvent() => AddColumn(new BytesPerEventColumn());
    }

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
    public long NullSyscallsWithoutTrace() => SyscallLoop();

    [Benchmark]
    public long NullSyscallsCountingSink() => SyscallLoop(new CountingSink());

    [Benchmark]
    public long NullSyscallsRecordingTrace() => RecordSyscallLoop().Bytes;

    [Benchmark]
    public long ReplayDemo() => Replayer.Replay(_trace, new ReplayOptions()).EventsReplayed;

    [Benchmark]
    public long ReplayDemoSyscallsOnly() => Replayer.Replay(_trace, new ReplayOptions(SyscallsOnly: true)).EventsReplayed;

    [Benchmark]
    public int ReadDemoTrace() => TraceReader.Read(_demoTrace, "demo").Events.Count;

    [Benchmark]
    public long EncodeDemoEventsBinary() => EncodeBinary(_live);

    [Benchmark]
    public long EncodeDemoEventsJsonLines() => EncodeJsonLines(out _);

    /// <summary>
    /// Trace bytes per event of what benchmark <paramref name="benchmark"/> writes, or null for one that writes no
    /// trace: the bytes of its events, block framing and end record (everything but the file's magic and header, or
    /// the JSON header line), over its event count. Computed by the same code the benchmark runs.
    /// </summary>
    internal double? BytesPerEvent(string benchmark)
    {
        switch (benchmark)
        {
            case nameof(DemoRecordingTrace):
            {
                long events = TraceReader.Read(_demoTrace, "demo").Events.Count;
                return (_demoTrace.Length - HeaderBytes()) / (double)events;
            }
            case nameof(EncodeDemoEventsBinary):
                return (EncodeBinary(_live) - HeaderBytes()) / (double)_live.Count;
            case nameof(EncodeDemoEventsJsonLines):
                return (EncodeJsonLines(out long headerLine) - headerLine) / (double)_trace.Events.Count;
            case nameof(NullSyscallsRecordingTrace):
            {
                (long bytes, long events) = RecordSyscallLoop();
                return (bytes - HeaderBytes()) / (double)events;
            }
            default:
                return null;
        }
    }

    private static readonly EventFormatter Formatter = new(TraceCommands.SyscallTable());

    // The magic, the JSON header and its CRC: what a trace costs before its first event.
    private long HeaderBytes() => new TraceWriter(Stream.Null, _header, ownsStream: false).BytesWritten;

    private long EncodeBinary(List<KernelEvent> events)
    {
        using var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, _header, ownsStream: false);
        foreach (KernelEvent e in events) writer.Emit(e);
        writer.Finish(new RunResult(RunOutcome.Completed, 0, 0, [], null, null));
        return buffer.Length;
    }

    private long EncodeJsonLines(out long headerLine)
    {
        using var buffer = new MemoryStream();
        TraceShow.JsonLines(_trace, ShowFilter.All, Formatter, buffer);
        headerLine = Array.IndexOf(buffer.GetBuffer(), (byte)'\n', 0, (int)buffer.Length) + 1;
        return buffer.Length;
    }

    private byte[] RecordDemo()
    {
        using var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, Header(_demo), ownsStream: false);
        Kernel k = ScenarioRunner.Boot(_demo, [writer]);
        writer.Finish(k.Run());
        return buffer.ToArray();
    }

    // The null-syscall loop recorded into memory, the trailer written: the file's size and its event count.
    private (long Bytes, long Events) RecordSyscallLoop()
    {
        using var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, _header, ownsStream: false);
        writer.Finish(SyscallLoopResult(writer));
        return (buffer.Length, writer.EventCount);
    }

    private static TraceHeader Header(Scenario s) =>
        TraceHeader.For(s.Name, s.Source, ScenarioRunner.BuiltInText("demo"), s.Config, TraceCommands.SyscallTable(), new Dictionary<string, string?>());

    private static long SyscallLoop(IEventSink? sink = null)
    {
        SyscallLoopResult(sink);
        return Calls;
    }

    // Calls getpid Calls times on a kernel at the default settings (only the RAM is smaller, and there is no tick limit).
    private static RunResult SyscallLoopResult(IEventSink? sink)
    {
        var k = new Kernel(new KernelConfig { Frames = 64, MaxTicks = long.MaxValue });
        if (sink is not null) k.AddSink(sink);
        long sum = 0;
        k.Spawn(new Userland.Loader.ManagedProgram("bench", () => new Loop(s =>
        {
            for (int i = 0; i < Calls; i++) sum += s.Syscall(SyscallNumber.GetPid);
            return sum == Calls ? 0 : 1;
        })), "bench", out Process? p);
        RunResult r = k.Run();
        if (r.Outcome != RunOutcome.Completed || p!.ExitStatus != 0) throw new InvalidOperationException($"null-syscall loop ended {r.Outcome}, status {p?.ExitStatus}");
        return r;
    }

    // Events are built by the kernel as soon as any sink listens: this one isolates that cost from the encoder's.
    private sealed class CountingSink : IEventSink
    {
        public long Count { get; private set; }

        public void Emit(in KernelEvent e) => Count++;
    }

    private sealed class Loop(Func<Userland.Runtime.Sys, long> main) : Userland.Runtime.UserProgram
    {
        public override long Main(Userland.Runtime.Sys sys) => main(sys);
    }
}
