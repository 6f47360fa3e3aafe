using MicroKernel.Sim.Campaigns;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Tests.Campaigns;

/// <summary>
/// <c>mk campaign --systematic</c> (docs/campaigns.md): fail-nth over the whole run finds the seeded bug of the
/// careless scenario (careless-mapper uses map's result without checking it) and prints a one-line reproducer that
/// was re-run and that, pasted, fails the same way.
/// </summary>
public sealed class SystematicCampaignTests
{
    [Fact]
    public void Systematic_finds_the_careless_mapper_and_shrinks_it_to_one_map_rule()
    {
        var (code, output, _) = CampaignRig.Mk("campaign", "careless", "--systematic", "--jobs", "2");
        code.ShouldBe(ExitCodes.ExpectationFailed);
        output.ShouldContain("seeds 1..1, systematic, check syscall");
        output.ShouldContain("pid 1 (mapper) faulted NonCanonical after map");
        output.ShouldContain("mk run careless --seed 1 --check syscall --fault \"syscall name=map nth=1 error=InvalidArgument\"");
        output.ShouldContain("checked: it fails the same way");
        output.ShouldNotContain("did NOT fail");
    }

    [Fact]
    public void The_printed_reproducer_fails_the_same_way_when_run()
    {
        var (_, output, _) = CampaignRig.Mk("campaign", "careless", "--systematic");
        string line = output.Split('\n').First(l => l.Contains("mk run careless", StringComparison.Ordinal) && l.Contains("error=InvalidArgument", StringComparison.Ordinal)).Trim();
        line.ShouldStartWith("mk run careless --seed 1 --check syscall --fault ");
        var (code, run, _) = CampaignRig.Mk("run", "careless", "--seed", "1", "--check", "syscall", "--fault", "syscall name=map nth=1 error=InvalidArgument");
        code.ShouldBe(ExitCodes.ExpectationFailed);
        run.ShouldContain("INJECT syscall map #1 -> InvalidArgument");
        run.ShouldContain("FAULT NonCanonical");
        run.ShouldContain("FAILED builtin:careless:14: expect process=mapper status=0");
    }

    [Fact]
    public void The_plan_tries_every_documented_error_of_every_call_and_each_frame_request_after_boot()
    {
        Scenario s = ScenarioRunner.Load("careless");
        var target = new CampaignTarget("careless", s, MicroKernel.Invariants.CheckLevel.End);
        RunVerdict baseline = OneRun.Execute(target, 0, 1, [], baseline: true);
        baseline.Kind.ShouldBe(VerdictKind.Passed);
        baseline.FrameRequests.ShouldBeGreaterThan(baseline.BootFrameRequests);
        var plan = SystematicPlan.From(baseline);
        long syscallRuns = baseline.SyscallCounts.Sum(c => c.Calls * c.Syscall.Errors.Count);
        plan.Count.ShouldBe((int)(syscallRuns + baseline.FrameRequests - baseline.BootFrameRequests));
        plan.ShouldContain(r => r.Text == "syscall name=map nth=1 error=OutOfMemory");
        plan.ShouldContain(r => r.Text == $"frames nth={baseline.BootFrameRequests + 1}");
        plan.ShouldNotContain(r => r.Text == $"frames nth={baseline.BootFrameRequests}");
    }

    [Fact]
    public void Results_do_not_depend_on_the_number_of_jobs()
    {
        var one = CampaignRig.Mk("campaign", "demo", "--seeds", "1..6", "--random", "0.02", "--kinds", "syscall,preempt", "--jobs", "1");
        var two = CampaignRig.Mk("campaign", "demo", "--seeds", "1..6", "--random", "0.02", "--kinds", "syscall,preempt", "--jobs", "2");
        two.Out.ShouldBe(one.Out);
        two.Code.ShouldBe(one.Code);
    }

    [Fact]
    public void A_clean_campaign_exits_0_and_says_every_expectation_held()
    {
        var (code, output, err) = CampaignRig.Mk("campaign", "careless", "--seeds", "1..3", "--check", "end");
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("runs: 3: 3 passed, 0 failed; 0 distinct failures");
        output.ShouldContain("held    builtin:careless:15: expect no-faults");
        err.ShouldContain("campaign: runs 3/3, 0 failed");
    }
}
