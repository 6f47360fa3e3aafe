using MicroKernel.Sim.Campaigns;
using MicroKernel.Sim.Cli;

namespace MicroKernel.Tests.Campaigns;

/// <summary>Bad campaign options are refused before anything runs, with exit code 2 and a message that names the problem.</summary>
public sealed class CampaignOptionTests : IDisposable
{
    private readonly CampaignRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Theory]
    [InlineData("--seeds 5..1", "--seeds: expected A..B with A <= B")]
    [InlineData("--seeds 0", "--seeds: expected A..B (a range of seeds) or N")]
    [InlineData("--shard 3/2", "--shard: expected I/N with 1 <= I <= N")]
    [InlineData("--random 2", "field 'p'")]
    [InlineData("--random 0.1 --kinds frames,nonsense", "field 'kinds'")]
    [InlineData("--kinds syscall", "--kinds needs --random P")]
    [InlineData("--systematic --random 0.1", "--systematic and --random are two modes")]
    [InlineData("--jobs 0", "--jobs: expected at least 1")]
    [InlineData("--shard-count 4", "--shard-count needs JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID")]
    public void Bad_values_exit_2_with_a_clear_message(string options, string message)
    {
        var (code, output, err) = CampaignRig.Mk(["campaign", "careless", .. options.Split(' ')]);
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldContain(message);
        output.ShouldBeEmpty();
    }

    [Fact]
    public void A_bad_rules_file_is_refused_with_its_line()
    {
        string rules = _rig.PathOf("bad.rules");
        File.WriteAllText(rules, "# fine\nsyscall name=map nth=1 error=OutOfMemory\nkill pid=9 tick=3\n");
        var (code, _, err) = CampaignRig.Mk("campaign", "careless", "--rules", rules);
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldContain("bad.rules:3:");
        err.ShouldContain("field 'pid'");
        CampaignRig.Mk("campaign", "careless", "--rules", _rig.PathOf("missing.rules")).Err.ShouldContain("--rules: cannot read");
    }

    [Fact]
    public void An_unknown_scenario_and_an_incomplete_cluster_environment_are_refused()
    {
        CampaignRig.Mk("campaign", "no-such.scn").Code.ShouldBe(ExitCodes.BadInput);
        var env = new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "0" };
        var (code, _, err) = CampaignRig.Mk(env, "campaign", "careless");
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldContain("give --shard-count N or set MK_SHARDS");
        var bad = new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "4", ["MK_SHARDS"] = "4" };
        CampaignRig.Mk(bad, "campaign", "careless").Err.ShouldContain("JOB_COMPLETION_INDEX=4 with a shard count of 4");
    }

    [Fact]
    public void Shards_are_disjoint_and_cover_every_run()
    {
        var shards = Enumerable.Range(1, 3).Select(i => new ShardSpec(i, 3)).ToList();
        for (long run = 0; run < 20; run++) shards.Count(s => s.Owns(run)).ShouldBe(1);
        SeedRange.Parse("7", out _).ShouldBe(new SeedRange(1, 7));
        SeedRange.Parse("3..5", out _)!.All().ShouldBe([3UL, 4UL, 5UL]);
    }
}

/// <summary>A scenario that cannot boot at all (its binary is missing) is refused once, before the campaign, not counted run by run.</summary>
public sealed class UnbootableScenarioTests : IDisposable
{
    private readonly CampaignRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void A_missing_binary_is_refused_with_exit_2_before_any_run()
    {
        string scenario = _rig.PathOf("missing.scn");
        File.WriteAllText(scenario, "process p binary=no-such-program.elf\n");
        var (code, output, err) = CampaignRig.Mk("campaign", scenario, "--seeds", "3");
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldContain("no-such-program.elf");
        output.ShouldBeEmpty();
    }
}
