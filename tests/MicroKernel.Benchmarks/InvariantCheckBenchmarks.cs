using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MicroKernel.Invariants;
using MicroKernel.Processes;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Syscalls;

namespace MicroKernel.Benchmarks;

/// <summary>
/// What checking the invariant catalogue costs at each level of <see cref="KernelConfig.Check"/> (<c>--check</c>):
/// the demo scenario, and a loop of null syscalls (getpid, the worst case for <see cref="CheckLevel.Syscall"/>),
/// each as a ratio to the same run at <see cref="CheckLevel.End"/> (one check when the run ends). A getpid changes
/// nothing, so its check point re-runs no invariant; a syscall that changes state costs a catalogue pass.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[BenchmarkCategory("invariants")]
public class InvariantCheckBenchmarks
{
    private const int Calls = 2_000;
    private Scenario _demo = null!;

    [GlobalSetup]
    public void Setup() => _demo = ScenarioRunner.Load("demo");

    [Benchmark(Baseline = true), BenchmarkCategory("demo")]
    public RunResult DemoCheckEnd() => Demo(CheckLevel.End);

    [Benchmark, BenchmarkCategory("demo")]
    public RunResult DemoCheckSyscall() => Demo(CheckLevel.Syscall);

    [Benchmark, BenchmarkCategory("demo")]
    public RunResult DemoCheckTick() => Demo(CheckLevel.Tick);

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls), BenchmarkCategory("null syscalls")]
    public long NullSyscallsCheckEnd() => SyscallLoop(CheckLevel.End);

    [Benchmark(OperationsPerInvoke = Calls), BenchmarkCategory("null syscalls")]
    public long NullSyscallsCheckSyscall() => SyscallLoop(CheckLevel.Syscall);

    [Benchmark(OperationsPerInvoke = Calls), BenchmarkCategory("null syscalls")]
    public long NullSyscallsCheckTick() => SyscallLoop(CheckLevel.Tick);

    private RunResult Demo(CheckLevel level)
    {
        RunResult r = ScenarioRunner.Boot(_demo with { Config = _demo.Config with { Check = level } }).Run();
        if (r.Outcome != RunOutcome.Completed) throw new InvalidOperationException($"demo ended {r.Outcome}: {r.Panic}");
        return r;
    }

    // The same program as SyscallBenchmarks.NullSyscall, on a kernel checking at `level`.
    private static long SyscallLoop(CheckLevel level)
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, frames: 64) with { Check = level });
        k.Spawn(new Userland.Loader.ManagedProgram("bench", () => new Loop()), "bench", out Process? p);
        RunResult r = k.Run();
        if (r.Outcome != RunOutcome.Completed || p!.ExitStatus != 0) throw new InvalidOperationException($"loop ended {r.Outcome}: {r.Panic}");
        return r.Ticks;
    }

    private sealed class Loop : Userland.Runtime.UserProgram
    {
        public override long Main(Userland.Runtime.Sys sys)
        {
            long sum = 0;
            for (int i = 0; i < Calls; i++) sum += sys.Syscall(SyscallNumber.GetPid);
            return sum == Calls ? 0 : 1;
        }
    }
}
