using MicroKernel.Sim.Campaigns;

namespace MicroKernel.Tests.Campaigns;

/// <summary>Delta debugging over a failing run's injections (docs/campaigns.md): down to a 1-minimal set that fails the same way.</summary>
public sealed class ShrinkTests
{
    [Fact]
    public void Ddmin_keeps_exactly_the_injections_that_together_make_it_fail()
    {
        int[] items = Enumerable.Range(1, 16).ToArray();
        // Fails only when both 3 and 11 are injected.
        IReadOnlyList<int> minimal = Shrinker.Minimize(items, s => s.Contains(3) && s.Contains(11), out int tests);
        minimal.ShouldBe([3, 11]);
        tests.ShouldBeLessThan(64); // ddmin needs O(k log n) runs for k needed elements of n
    }

    [Fact]
    public void Ddmin_returns_nothing_when_the_run_fails_without_any_injection()
    {
        Shrinker.Minimize([1, 2, 3], _ => true, out int tests).ShouldBeEmpty();
        tests.ShouldBe(1);
    }

    [Fact]
    public void A_random_failure_of_several_injections_shrinks_to_the_few_that_matter_and_still_fails()
    {
        // Seed 28 of the demo with random syscall errors and preemptions injects three faults; two of them matter.
        var (code, output, _) = CampaignRig.Mk("campaign", "demo", "--seeds", "28..28", "--random", "0.02", "--kinds", "syscall,preempt");
        code.ShouldBe(Sim.Cli.ExitCodes.ExpectationFailed);
        string command = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("mk run demo --seed 28", StringComparison.Ordinal));
        command.ShouldNotContain("random");
        output.ShouldContain("shrunk from 3 injections to 2 rules");
        output.ShouldContain("checked: it fails the same way");
        var rules = command.Split(" --fault ").Skip(1).Select(r => r.Trim('"')).ToArray();
        rules.Length.ShouldBe(2);
        var (runCode, run, _) = CampaignRig.Mk(["run", "demo", "--seed", "28", "--check", "syscall", .. rules.SelectMany(r => new[] { "--fault", r })]);
        runCode.ShouldBe(Sim.Cli.ExitCodes.ExpectationFailed);
        run.ShouldContain("FAILED builtin:demo:18: expect process=hello status=0");
    }

    [Fact]
    public void No_shrink_keeps_the_random_rule_and_still_checks_it_reproduces()
    {
        var (_, output, _) = CampaignRig.Mk("campaign", "demo", "--seeds", "28..28", "--random", "0.02", "--kinds", "syscall,preempt", "--no-shrink");
        output.ShouldContain("mk run demo --seed 28 --check syscall --fault \"random p=0.02 kinds=syscall,preempt\"");
        output.ShouldContain("not shrunk (--no-shrink)");
        output.ShouldContain("checked: it fails the same way");
    }
}

/// <summary>
/// A shrunk reproducer may hold several rules on one syscall: each must fire at its own Nth call of the run, whatever
/// the others do (the injector counts a call for every matching rule, also when an earlier rule fires at it).
/// </summary>
public sealed class SeveralRulesOnOneSyscallTests
{
    [Fact]
    public void Two_rules_on_map_fire_at_the_first_and_the_second_call()
    {
        var (_, output, _) = CampaignRig.Mk("run", "careless", "--fault", "syscall name=map nth=1 error=OutOfMemory", "--fault", "syscall name=map nth=2 error=BadAddress");
        output.ShouldContain("INJECT syscall map #1 -> OutOfMemory");
        output.ShouldContain("INJECT syscall map #2 -> BadAddress");
    }
}
