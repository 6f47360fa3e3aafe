using BenchmarkDotNet.Attributes;
using MicroKernel.Invariants;
using MicroKernel.Sim.Campaigns;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Benchmarks;

/// <summary>
/// What one run of a campaign costs (docs/campaigns.md, goal: a demo run in at most ~6 ms on one core, 10,000 seeds
/// in under a minute per core), beside one <c>mk run demo</c> in the same process (the baseline: parse, boot, run,
/// print the account into a null writer). Then where the time goes: the campaign's run at the campaign default
/// (<c>--check syscall</c>) and at <c>--check end</c>; boot alone (spawning the five processes, their host threads
/// included, then disposing) and the kernel alone (no process); the bare run without any sink (no event is built) at <c>--check end</c>.
/// </summary>
[BenchmarkCategory("campaigns")]
public class CampaignBenchmarks
{
    private Scenario _demo = null!;
    private CampaignTarget _syscall = null!;
    private CampaignTarget _end = null!;
    private ulong _seed;

    [GlobalSetup]
    public void Setup()
    {
        _demo = ScenarioRunner.Load("demo");
        _syscall = new CampaignTarget("demo", _demo, CheckLevel.Syscall);
        _end = new CampaignTarget("demo", _demo, CheckLevel.End);
        if (OneRun.Execute(_syscall, 0, 42, []).Kind != VerdictKind.Passed) throw new InvalidOperationException("the demo must pass its own oracle");
    }

    /// <summary>One <c>mk run demo</c>, account printed into a null writer.</summary>
    [Benchmark(Baseline = true)]
    public int MkRunDemo() => new CliApp(TextWriter.Null, TextWriter.Null).Invoke(["run", "demo"]);

    /// <summary>One campaign run of the demo at the campaign's default check level (invariants after every syscall).</summary>
    [Benchmark]
    public VerdictKind CampaignRunCheckSyscall() => OneRun.Execute(_syscall, 0, ++_seed, []).Kind;

    /// <summary>One campaign run of the demo, invariants at the end only (as <c>mk run</c>).</summary>
    [Benchmark]
    public VerdictKind CampaignRunCheckEnd() => OneRun.Execute(_end, 0, ++_seed, []).Kind;

    /// <summary>Boot only: a kernel with the demo's five processes spawned, then disposed without running.</summary>
    [Benchmark]
    public int BootOnly()
    {
        using Kernel kernel = ScenarioRunner.Boot(_demo);
        return kernel.Processes.Count;
    }

    /// <summary>The kernel alone: machine (RAM, MMU, TLB), allocator, scheduler, syscall table; no process.</summary>
    [Benchmark]
    public int KernelOnly()
    {
        using var kernel = new Kernel(_demo.Config);
        return kernel.Frames.FreeCount;
    }

    /// <summary>Boot and run with no sink at all (no event is built), invariants at the end only.</summary>
    [Benchmark]
    public long RunWithoutSinks()
    {
        using Kernel kernel = ScenarioRunner.Boot(_demo);
        return kernel.Run().Ticks;
    }
}
