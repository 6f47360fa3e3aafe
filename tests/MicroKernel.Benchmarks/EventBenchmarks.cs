using BenchmarkDotNet.Attributes;
using MicroKernel.Faults;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Benchmarks;

/// <summary>
/// What the event path costs per syscall: a loop of null syscalls (getpid, two events each: entry and exit, handed
/// out as one <see cref="SyscallRecord"/>) on a kernel with no sink (the baseline), with a sink that only counts (the
/// kernel's cost of handing out a syscall), and recording a binary trace into memory (a <see cref="MemoryStream"/> rewound before each batch, so its
/// capacity is reused); and the same loop under a fault plan with one rule that never fires (the cost of the
/// injection point on every syscall; the baseline runs <see cref="FaultPlan.None"/>, the default).
/// Each benchmark has its own kernel, resident (<see cref="ResidentProgram"/>) so boot and host-thread costs are out
/// of the figures: the Allocated column is the event path's allocation per syscall (docs/benchmarks.md, "Cheap
/// events"). Min and Median columns: on the shared machine the mean is mostly other jobs' noise.
/// </summary>
[MinColumn, MedianColumn]
[BenchmarkCategory("events")]
public class EventBenchmarks
{
    private const int Calls = 1_000_000;
    private readonly MemoryStream _traceBuffer = new();
    private ResidentProgram? _loop;
    private TraceWriter _encoder = null!;
    private long _tick;

    [GlobalSetup(Target = nameof(NullSyscallNoSink))]
    public void SetupNoSink() => _loop = Loop();

    [GlobalSetup(Target = nameof(NullSyscallCountingSink))]
    public void SetupCountingSink() => _loop = Loop(new CountingSink());

    [GlobalSetup(Target = nameof(NullSyscallRecordingTrace))]
    public void SetupRecording()
    {
        Scenario demo = ScenarioRunner.Load("demo");
        var header = TraceHeader.For(demo.Name, demo.Source, ScenarioRunner.BuiltInText("demo"), demo.Config, TraceCommands.SyscallTable(), new Dictionary<string, string?>());
        _loop = Loop(new TraceWriter(_traceBuffer, header, ownsStream: false));
    }

    [GlobalSetup(Target = nameof(NullSyscallIdleFaultRule))]
    public void SetupIdleFaultRule() =>
        _loop = Loop(faults: new FaultPlan([new SyscallFaultRule("getpid", long.MaxValue, ErrorCode.InvalidArgument)]));

    [GlobalSetup(Targets = [nameof(EncodeNullSyscallEvents), nameof(EncodeNullSyscallRecords)])]
    public void SetupEncoder()
    {
        Scenario demo = ScenarioRunner.Load("demo");
        _encoder = new TraceWriter(_traceBuffer, TraceHeader.For(demo.Name, demo.Source, ScenarioRunner.BuiltInText("demo"), demo.Config, TraceCommands.SyscallTable(), new Dictionary<string, string?>()), ownsStream: false);
    }

    [GlobalCleanup]
    public void Cleanup() => _loop?.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public void NullSyscallNoSink() => _loop!.RunBatch();

    [Benchmark(OperationsPerInvoke = Calls)]
    public void NullSyscallCountingSink() => _loop!.RunBatch();

    [Benchmark(OperationsPerInvoke = Calls)]
    public void NullSyscallRecordingTrace()
    {
        _traceBuffer.Position = 0;
        _loop!.RunBatch();
    }

    [Benchmark(OperationsPerInvoke = Calls)]
    public void NullSyscallIdleFaultRule() => _loop!.RunBatch();

    /// <summary>The trace writer alone on the events of a getpid (no kernel): the encoder's share of recording.</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    public void EncodeNullSyscallEvents()
    {
        _traceBuffer.Position = 0;
        long seq = 0;
        for (int i = 0; i < Calls; i++)
        {
            _tick++;
            _encoder.Emit(new KernelEvent { Seq = seq++, Tick = _tick, Pid = 1, Tid = 1, Kind = EventKind.SyscallEnter, Code = (long)SyscallNumber.GetPid });
            _encoder.Emit(new KernelEvent { Seq = seq++, Tick = _tick, Pid = 1, Tid = 1, Kind = EventKind.SyscallExit, Code = (long)SyscallNumber.GetPid, Result = 1 });
        }
    }

    /// <summary>The trace writer alone on a getpid's syscall record (no kernel): what recording costs the writer now.</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    public void EncodeNullSyscallRecords()
    {
        _traceBuffer.Position = 0;
        long seq = 0;
        for (int i = 0; i < Calls; i++)
        {
            _tick++;
            _encoder.EmitSyscall(new SyscallRecord(seq, _tick, 1, 1, (long)SyscallNumber.GetPid, default, 1, 0, null));
            seq += 2;
        }
    }

    // A resident kernel at the default settings whose program makes Calls getpid syscalls per batch.
    private static ResidentProgram Loop(IEventSink? sink = null, FaultPlan? faults = null) =>
        new(sys => () =>
        {
            long sum = 0;
            for (int i = 0; i < Calls; i++) sum += sys.Syscall(SyscallNumber.GetPid);
            if (sum != Calls) throw new InvalidOperationException($"getpid returned {sum / Calls}, not 1");
        }, frames: 64, BenchKernels.DefaultAccessesPerTick, sink, faults);

    // Takes syscall records, as the trace writer does: the row is the kernel's own cost of handing out a syscall.
    private sealed class CountingSink : IEventSink
    {
        public long Count { get; private set; }

        public void Emit(in KernelEvent e) => Count++;

        public bool TakesSyscallRecords => true;

        public void EmitSyscall(in SyscallRecord r) => Count += 2;

        public void EmitSyscallRepeats(in SyscallRecord previous, long count, long tickStep) => Count += 2 * count;
    }
}
