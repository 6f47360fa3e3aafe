using MicroKernel.Sim.Cli;

namespace MicroKernel.Tests.Campaigns;

/// <summary>
/// Sharding (docs/campaigns.md): the shards of a campaign, given by <c>--shard I/N</c> or by a cluster's environment
/// (a Kubernetes indexed Job, a Slurm job array), merged with <c>mk campaign merge</c>, print exactly what the whole
/// campaign prints.
/// </summary>
public sealed class ShardCampaignTests : IDisposable
{
    private readonly CampaignRig _rig = new();

    public void Dispose() => _rig.Dispose();

    private static readonly string[] Campaign = ["campaign", "careless", "--systematic", "--check", "end"];

    private static string Merged(params string[] files)
    {
        var (code, output, err) = CampaignRig.Mk(["campaign", "merge", .. files]);
        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.ExpectationFailed);
        return output;
    }

    [Fact]
    public void Shards_from_the_shard_option_merge_into_the_whole_campaigns_output()
    {
        var whole = CampaignRig.Mk(Campaign);
        var files = new List<string>();
        for (int i = 1; i <= 3; i++)
        {
            string file = _rig.PathOf($"shard{i}.jsonl");
            var (code, output, _) = CampaignRig.Mk([.. Campaign, "--shard", $"{i}/3", "--json", file]);
            code.ShouldBeOneOf(ExitCodes.Ok, ExitCodes.ExpectationFailed);
            output.ShouldContain($"(shards {i} of 3)");
            files.Add(file);
        }
        Merged([.. files]).ShouldBe(whole.Out);
    }

    [Fact]
    public void Kubernetes_indexed_job_variables_pick_the_shards()
    {
        var whole = CampaignRig.Mk(Campaign);
        var files = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            string file = _rig.PathOf($"k8s{i}.jsonl");
            var env = new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = $"{i}", ["MK_SHARDS"] = "2" };
            CampaignRig.Mk(env, [.. Campaign, "--json", file]).Out.ShouldContain($"(shards {i + 1} of 2)");
            files.Add(file);
        }
        Merged([.. files]).ShouldBe(whole.Out);
    }

    [Fact]
    public void Slurm_array_variables_pick_the_shards()
    {
        var whole = CampaignRig.Mk(Campaign);
        var files = new List<string>();
        for (int i = 1; i <= 2; i++)
        {
            string file = _rig.PathOf($"slurm{i}.jsonl");
            var env = new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = $"{i}", ["SLURM_ARRAY_TASK_COUNT"] = "2", ["SLURM_ARRAY_TASK_MIN"] = "1" };
            CampaignRig.Mk(env, [.. Campaign, "--json", file]).Out.ShouldContain($"(shards {i} of 2)");
            files.Add(file);
        }
        Merged([.. files]).ShouldBe(whole.Out);
    }

    [Fact]
    public void A_missing_shard_is_reported_and_a_foreign_file_is_refused()
    {
        string one = _rig.PathOf("one.jsonl");
        CampaignRig.Mk([.. Campaign, "--shard", "1/2", "--json", one]);
        var (_, _, err) = CampaignRig.Mk("campaign", "merge", one);
        err.ShouldContain("warning: shards 2 of 2 are missing");
        string other = _rig.PathOf("other.jsonl");
        CampaignRig.Mk("campaign", "careless", "--seeds", "2", "--check", "end", "--shard", "2/2", "--json", other);
        var (code, _, refusal) = CampaignRig.Mk("campaign", "merge", one, other);
        code.ShouldBe(ExitCodes.BadInput);
        refusal.ShouldContain("not shards of one campaign");
        string junk = _rig.PathOf("junk.jsonl");
        File.WriteAllText(junk, "{\"type\":\"nope\"}\n");
        var (junkCode, _, junkErr) = CampaignRig.Mk("campaign", "merge", junk);
        junkCode.ShouldBe(ExitCodes.BadInput);
        junkErr.ShouldContain("junk.jsonl:1: not a campaign JSON Lines file");
    }
}
