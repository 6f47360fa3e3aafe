using BenchmarkDotNet.Attributes;
using MicroKernel.Syscalls;

namespace MicroKernel.Benchmarks;

/// <summary>
/// The cost of a null syscall (getpid: entry, scheduling point, dispatch, return) against a direct interface call on
/// the same machine. Each invocation boots a kernel and makes <see cref="Calls"/> syscalls, so boot cost is
/// amortized below 1%.
/// </summary>
[BenchmarkCategory("syscalls")]
public class SyscallBenchmarks
{
    private const int Calls = 200_000;
    private readonly IPidSource _direct = new PidSource();

    /// <summary>User accesses per scheduling point: the default (64) and batched (2^20), side by side (<see cref="BenchKernels"/>).</summary>
    [Params(BenchKernels.DefaultAccessesPerTick, BenchKernels.BatchedAccessesPerTick)]
    public int AccessesPerTick { get; set; }

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public long DirectInterfaceCall()
    {
        long sum = 0;
        for (int i = 0; i < Calls; i++) sum += _direct.GetPid();
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Calls)]
    public long NullSyscall() => BenchKernels.RunProgram(AccessesPerTick, sys =>
    {
        long sum = 0;
        for (int i = 0; i < Calls; i++) sum += sys.Syscall(SyscallNumber.GetPid);
        return sum == Calls ? 0 : 1;
    });

    private interface IPidSource
    {
        long GetPid();
    }

    private sealed class PidSource : IPidSource
    {
        private long _pid = 1;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public long GetPid() => _pid;
    }
}
