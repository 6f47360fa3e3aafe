using BenchmarkDotNet.Attributes;
using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Benchmarks;

/// <summary>
/// trace export: Perfetto's protobuf trace (<see cref="PerfettoProtoExporter"/>) against the Trace Event JSON
/// (<see cref="PerfettoExporter"/>, the baseline) on the same trace read into memory, written to a stream that only
/// counts. Two traces: a getpid loop (two events a call: the small-event worst case the sizes in docs/benchmarks.md
/// are measured on) and the queue scenario (many threads, notifies and their flow arrows).
/// </summary>
[BenchmarkCategory("perfetto-export")]
public class PerfettoExportBenchmarks
{
    private const int Calls = 20_000;
    private static readonly EventFormatter Formatter = new(TraceCommands.SyscallTable());
    private Trace _getpid = null!;
    private Trace _queue = null!;

    [GlobalSetup]
    public void Setup()
    {
        _getpid = Record(null);
        _queue = Record(ScenarioRunner.Load("queue"));
    }

    [Benchmark(Baseline = true)]
    public long GetpidLoopJson() => Json(_getpid);

    [Benchmark]
    public long GetpidLoopProto() => Proto(_getpid);

    [Benchmark]
    public long QueueJson() => Json(_queue);

    [Benchmark]
    public long QueueProto() => Proto(_queue);

    private static long Json(Trace trace)
    {
        var output = new CountingStream();
        PerfettoExporter.Export(trace, output, Formatter);
        return output.Length;
    }

    private static long Proto(Trace trace)
    {
        var output = new CountingStream();
        PerfettoProtoExporter.Export(trace.Events, output, Formatter);
        return output.Length;
    }

    // A scenario (or, for null, Calls getpid calls in one program) recorded into memory and read back.
    private static Trace Record(Scenario? scenario)
    {
        Scenario header = scenario ?? ScenarioRunner.Load("demo");
        using var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, TraceHeader.For(header.Name, header.Source, ScenarioRunner.BuiltInText(header.Name), header.Config,
            TraceCommands.SyscallTable(), new Dictionary<string, string?>()), ownsStream: false);
        Kernel k;
        if (scenario is not null) k = ScenarioRunner.Boot(scenario, [writer]);
        else
        {
            k = new Kernel(new KernelConfig { Frames = 64, MaxTicks = long.MaxValue });
            k.AddSink(writer);
            k.Spawn(new Userland.Loader.ManagedProgram("getpid", () => new Loop()), "getpid", out Process? _);
        }
        writer.Finish(k.Run());
        return TraceReader.Read(buffer.ToArray(), "bench");
    }

    private sealed class Loop : Userland.Runtime.UserProgram
    {
        public override long Main(Userland.Runtime.Sys sys)
        {
            for (int i = 0; i < Calls; i++) sys.Syscall(SyscallNumber.GetPid);
            return 0;
        }
    }

    // Counts the bytes written and keeps none.
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
    }
}
