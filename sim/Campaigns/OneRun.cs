using MicroKernel.Faults;
using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// One run of a campaign: a fresh in-process kernel for the scenario with a seed and the campaign's rules, run to its
/// end and judged by the oracle (invariants at the campaign's check level, expectations, panics, deadlock, tick limit,
/// exceptions that escape the simulator). It is exactly what <c>mk run SCENARIO --seed S --check L --fault ...</c>
/// runs, so a reproducer printed from it runs the same.
/// </summary>
public static class OneRun
{
    // A frames rule that never fires: with it the allocator counts its requests (the baseline of --systematic).
    private static readonly FramesFaultRule CountingProbe = new(long.MaxValue / 2);

    /// <summary>
    /// Runs <paramref name="target"/> with <paramref name="seed"/> and <paramref name="rules"/> (after the scenario's own
    /// rules). With <paramref name="baseline"/>, also counts syscalls and frame requests for <c>--systematic</c>.
    /// </summary>
    public static RunVerdict Execute(CampaignTarget target, long index, ulong seed, IReadOnlyList<FaultRule> rules, bool baseline = false)
    {
        Scenario s = target.Scenario;
        var plan = new List<FaultRule>(s.Config.Faults.Rules);
        int first = plan.Count;
        plan.AddRange(rules);
        if (baseline) plan.Add(CountingProbe);
        s = s with { Config = s.Config with { Seed = seed, Check = target.Check, Faults = new FaultPlan(plan) } };
        bool[] none = new bool[s.Expectations.Count];
        Kernel kernel;
        var observer = new RunObserver(plan, first);
        try
        {
            kernel = ScenarioRunner.Boot(s, [observer]);
        }
        catch (ScenarioException)
        {
            return new RunVerdict(index, seed, rules, VerdictKind.NotBooted, null, none);
        }
        catch (Exception e)
        {
            return new RunVerdict(index, seed, rules, VerdictKind.Failed, FailureSignature.HostException(e), none);
        }
        using (kernel)
        {
            observer.Syscalls = kernel.Syscalls;
            long bootFrames = kernel.Injector.FrameRequests;
            RunResult result;
            try
            {
                result = kernel.Run();
            }
            catch (Exception e)
            {
                return new RunVerdict(index, seed, rules, VerdictKind.Failed, FailureSignature.HostException(e), none) { Injected = observer.Injected };
            }
            IReadOnlyList<ExpectationResult> checks = observer.Expectations.Check(s.Expectations, result);
            string? signature = FailureSignature.Of(result, checks, observer);
            return new RunVerdict(index, seed, rules, signature is null ? VerdictKind.Passed : VerdictKind.Failed, signature, checks.Select(c => c.Met).ToArray())
            {
                Injected = observer.Injected,
                SyscallCounts = baseline ? observer.SyscallCounts() : [],
                BootFrameRequests = bootFrames,
                FrameRequests = kernel.Injector.FrameRequests,
            };
        }
    }
}
