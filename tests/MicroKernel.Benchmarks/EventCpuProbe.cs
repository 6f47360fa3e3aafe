using System.Diagnostics;
using System.Globalization;
using MicroKernel.Faults;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Benchmarks;

/// <summary>
/// The loop of <see cref="EventBenchmarks"/> timed in process CPU time instead of wall time: on the shared machine the
/// wall clock moves 2-5x with the other jobs' load, the CPU time a round takes barely moves. Each setting runs its
/// rounds interleaved with the others (so a change of load hits all of them) and keeps its fastest round.
/// Run: <c>dotnet run -c Release --project tests/MicroKernel.Benchmarks -- --cpu-probe [rounds]</c>.
/// </summary>
internal static class EventCpuProbe
{
    private const int Calls = 2_000_000;

    public static void Run(int rounds, int only = -1)
    {
        Scenario demo = ScenarioRunner.Load("demo");
        var header = TraceHeader.For(demo.Name, demo.Source, ScenarioRunner.BuiltInText("demo"), demo.Config, TraceCommands.SyscallTable(), new Dictionary<string, string?>());
        var buffer = new MemoryStream();
        (string Name, ResidentProgram Loop, Action Before)[] settings =
        [
            ("no sink", Loop(null), () => { }),
            ("a sink that counts events (two per syscall)", Loop(new EventCounter()), () => { }),
            ("a sink that counts syscall records", Loop(new RecordCounter()), () => { }),
            ("recording a trace", Loop(new TraceWriter(buffer, header, ownsStream: false)), () => buffer.Position = 0),
            ("recording a trace from two events per syscall", Loop(new EventsOnly(new TraceWriter(buffer, header, ownsStream: false))), () => buffer.Position = 0),
            ("no sink, an empty fault plan of its own", Loop(null, new FaultPlan([])), () => { }),
            ("no sink, a syscall rule that never fires", Loop(null, new FaultPlan([new SyscallFaultRule("getpid", long.MaxValue, ErrorCode.InvalidArgument)])), () => { }),
        ];
        var best = new double[settings.Length];
        Array.Fill(best, double.MaxValue);
        for (int round = 0; round < rounds; round++)
            for (int i = 0; i < settings.Length; i++)
            {
                if (only >= 0 && i != only && i != 0) continue;
                settings[i].Before();
                TimeSpan start = Process.GetCurrentProcess().TotalProcessorTime;
                settings[i].Loop.RunBatch();
                double ns = (Process.GetCurrentProcess().TotalProcessorTime - start).TotalNanoseconds / Calls;
                best[i] = Math.Min(best[i], ns);
            }
        for (int i = 0; i < settings.Length; i++)
        {
            if (best[i] == double.MaxValue) continue; // not run (only one setting asked for)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{settings[i].Name,-48} {best[i],6:F1} ns  {best[i] / best[0],5:F2}x"));
            settings[i].Loop.Dispose();
        }
    }

    private static ResidentProgram Loop(IEventSink? sink, FaultPlan? faults = null) =>
        new(sys => () =>
        {
            for (int i = 0; i < Calls; i++) sys.Syscall(SyscallNumber.GetPid);
        }, frames: 64, BenchKernels.DefaultAccessesPerTick, sink, faults);

    // Takes every syscall as its two events: what every sink cost before syscall records.
    private sealed class EventCounter : IEventSink
    {
        public long Count { get; private set; }

        public void Emit(in KernelEvent e) => Count++;
    }

    // Hands the writer each syscall as two events, as the kernel did before syscall records (format 1's encoding).
    private sealed class EventsOnly(IEventSink inner) : IEventSink
    {
        public void Emit(in KernelEvent e) => inner.Emit(in e);
    }

    private sealed class RecordCounter : IEventSink
    {
        public long Count { get; private set; }

        public void Emit(in KernelEvent e) => Count++;

        public bool TakesSyscallRecords => true;

        public void EmitSyscall(in SyscallRecord r) => Count += 2;

        public void EmitSyscallRepeats(in SyscallRecord previous, long count, long tickStep) => Count += 2 * count;
    }
}
