using BenchmarkDotNet.Attributes;
using MicroKernel.Faults;
using MicroKernel.Syscalls;

namespace MicroKernel.Benchmarks;

/// <summary>
/// What a fault plan costs a loop of null syscalls when it injects nothing (issue 12's goal: a plan with no rules
/// costs under 5%): the baseline is a kernel given no plan (its config's default), against one given an empty
/// <see cref="FaultPlan"/> of its own, and one whose plan holds a syscall rule that never fires (the syscall
/// injection point switched on: every getpid asks the injector). Each benchmark has its own resident kernel
/// (<see cref="ResidentProgram"/>), so boot is out of the figures; docs/benchmarks.md, "A plan with no rules".
/// </summary>
[MinColumn, MedianColumn]
[BenchmarkCategory("faults")]
public class FaultPlanBenchmarks
{
    private const int Calls = 1_000_000;
    private ResidentProgram? _loop;

    [GlobalSetup(Target = nameof(NullSyscallNoPlan))]
    public void SetupNoPlan() => _loop = Loop(null);

    [GlobalSetup(Target = nameof(NullSyscallEmptyPlan))]
    public void SetupEmptyPlan() => _loop = Loop(new FaultPlan([]));

    [GlobalSetup(Target = nameof(NullSyscallIdleSyscallRule))]
    public void SetupIdleRule() => _loop = Loop(new FaultPlan([new SyscallFaultRule("getpid", long.MaxValue, ErrorCode.InvalidArgument)]));

    [GlobalCleanup]
    public void Cleanup() => _loop?.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public void NullSyscallNoPlan() => _loop!.RunBatch();

    [Benchmark(OperationsPerInvoke = Calls)]
    public void NullSyscallEmptyPlan() => _loop!.RunBatch();

    [Benchmark(OperationsPerInvoke = Calls)]
    public void NullSyscallIdleSyscallRule() => _loop!.RunBatch();

    // A resident kernel at the default settings, no sink, whose program makes Calls getpid syscalls per batch.
    private static ResidentProgram Loop(FaultPlan? faults) =>
        new(sys => () =>
        {
            long sum = 0;
            for (int i = 0; i < Calls; i++) sum += sys.Syscall(SyscallNumber.GetPid);
            if (sum != Calls) throw new InvalidOperationException($"getpid returned {sum / Calls}, not 1");
        }, frames: 64, BenchKernels.DefaultAccessesPerTick, sink: null, faults);
}
