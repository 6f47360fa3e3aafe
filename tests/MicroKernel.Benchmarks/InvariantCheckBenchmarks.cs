using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MicroKernel.Invariants;
using MicroKernel.Processes;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Syscalls;

namespace MicroKernel.Benchmarks;

/// <summary>
/// What checking the invariant catalogue costs at each level of <see cref="KernelConfig.Check"/> (<c>--check</c>),
/// each as a ratio to the same work at <see cref="CheckLevel.End"/> (one check when the run ends): the demo scenario
/// (boot to exit), a loop of null syscalls (getpid: the most check points per second, and none of them has anything
/// to re-check, since a getpid changes nothing), and a loop of map, touch and unmap (every syscall changes memory
/// state, so every check point re-runs the memory invariants: what a syscall-heavy run that does something pays).
/// The two loops run on resident kernels (<see cref="ResidentProgram"/>), so boot is out of their per-call figures.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[BenchmarkCategory("invariants")]
public class InvariantCheckBenchmarks
{
    private const int NullCalls = 20_000;
    private const int MapCycles = 500; // each a map and an unmap: two syscalls, one touch
    private Scenario _demo = null!;
    private ResidentProgram? _loop;

    [GlobalSetup(Targets = [nameof(DemoCheckEnd), nameof(DemoCheckSyscall), nameof(DemoCheckTick)])]
    public void SetupDemo() => _demo = ScenarioRunner.Load("demo");

    [GlobalSetup(Target = nameof(NullSyscallsCheckEnd))]
    public void SetupNullEnd() => _loop = NullSyscalls(CheckLevel.End);

    [GlobalSetup(Target = nameof(NullSyscallsCheckSyscall))]
    public void SetupNullSyscall() => _loop = NullSyscalls(CheckLevel.Syscall);

    [GlobalSetup(Target = nameof(NullSyscallsCheckTick))]
    public void SetupNullTick() => _loop = NullSyscalls(CheckLevel.Tick);

    [GlobalSetup(Target = nameof(MapUnmapCheckEnd))]
    public void SetupMapEnd() => _loop = MapUnmap(CheckLevel.End);

    [GlobalSetup(Target = nameof(MapUnmapCheckSyscall))]
    public void SetupMapSyscall() => _loop = MapUnmap(CheckLevel.Syscall);

    [GlobalSetup(Target = nameof(MapUnmapCheckTick))]
    public void SetupMapTick() => _loop = MapUnmap(CheckLevel.Tick);

    [GlobalCleanup]
    public void Cleanup() => _loop?.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory("demo")]
    public RunResult DemoCheckEnd() => Demo(CheckLevel.End);

    [Benchmark, BenchmarkCategory("demo")]
    public RunResult DemoCheckSyscall() => Demo(CheckLevel.Syscall);

    [Benchmark, BenchmarkCategory("demo")]
    public RunResult DemoCheckTick() => Demo(CheckLevel.Tick);

    [Benchmark(Baseline = true, OperationsPerInvoke = NullCalls), BenchmarkCategory("null syscalls")]
    public void NullSyscallsCheckEnd() => _loop!.RunBatch();

    [Benchmark(OperationsPerInvoke = NullCalls), BenchmarkCategory("null syscalls")]
    public void NullSyscallsCheckSyscall() => _loop!.RunBatch();

    [Benchmark(OperationsPerInvoke = NullCalls), BenchmarkCategory("null syscalls")]
    public void NullSyscallsCheckTick() => _loop!.RunBatch();

    [Benchmark(Baseline = true, OperationsPerInvoke = MapCycles), BenchmarkCategory("map+unmap")]
    public void MapUnmapCheckEnd() => _loop!.RunBatch();

    [Benchmark(OperationsPerInvoke = MapCycles), BenchmarkCategory("map+unmap")]
    public void MapUnmapCheckSyscall() => _loop!.RunBatch();

    [Benchmark(OperationsPerInvoke = MapCycles), BenchmarkCategory("map+unmap")]
    public void MapUnmapCheckTick() => _loop!.RunBatch();

    private RunResult Demo(CheckLevel level)
    {
        RunResult r = ScenarioRunner.Boot(_demo with { Config = _demo.Config with { Check = level } }).Run();
        if (r.Outcome != RunOutcome.Completed) throw new InvalidOperationException($"demo ended {r.Outcome}: {r.Panic}");
        return r;
    }

    // The program of SyscallBenchmarks.NullSyscall, on a kernel checking at `level`.
    private static ResidentProgram NullSyscalls(CheckLevel level) =>
        new(sys => () =>
        {
            long sum = 0;
            for (int i = 0; i < NullCalls; i++) sum += sys.Syscall(SyscallNumber.GetPid);
            if (sum != NullCalls) throw new InvalidOperationException($"getpid returned {sum / NullCalls}, not 1");
        }, frames: 64, BenchKernels.DefaultAccessesPerTick, check: level);

    // A page mapped, written once (so it gets a frame and a TLB entry) and unmapped, MapCycles times a batch.
    private static ResidentProgram MapUnmap(CheckLevel level) =>
        new(sys => () =>
        {
            for (int i = 0; i < MapCycles; i++)
            {
                ulong page = sys.Map(4096);
                sys.Memory.WriteUInt64(page, (ulong)i);
                sys.Unmap(page, 4096);
            }
        }, frames: 64, BenchKernels.DefaultAccessesPerTick, check: level);
}
