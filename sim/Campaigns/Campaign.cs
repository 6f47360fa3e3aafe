using MicroKernel.Faults;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// Runs a campaign (docs/campaigns.md): plans every run of every seed, runs this shard's share of them on
/// <c>jobs</c> host threads, each in a fresh kernel, and tallies the verdicts in run order. Seeds decide everything:
/// the result does not depend on the number of jobs or on how the host scheduled them.
/// </summary>
/// <param name="target">The scenario, check level and extra rules.</param>
/// <param name="seeds">The seeds.</param>
/// <param name="mode">Plain, random or systematic.</param>
/// <param name="jobs">Host threads running kernels at once (at least 1).</param>
/// <param name="shard">This process's slice of the runs.</param>
public sealed class Campaign(CampaignTarget target, SeedRange seeds, CampaignMode mode, int jobs, ShardSpec shard)
{
    /// <summary>Every run this shard ran, in run order (after <see cref="Run"/>).</summary>
    public IReadOnlyList<RunVerdict> Verdicts { get; private set; } = [];

    /// <summary>Plans and runs this shard's runs; returns their summary (failures not yet reproduced).</summary>
    public CampaignSummary Run(CampaignProgress progress)
    {
        IReadOnlyList<FaultRule> common = mode.Random is { } random ? [.. target.ExtraRules, random] : target.ExtraRules;
        ulong[] all = seeds.All().ToArray();
        var requests = new List<RunRequest>();
        var done = new Dictionary<long, RunVerdict>();
        if (mode.Systematic)
        {
            // Each seed's runs come from its baseline, so every shard runs every baseline (one run per seed) to know
            // the plan; it keeps the baseline verdicts it owns as its own runs.
            RunVerdict[] baselines = Parallel(all.Select((s, i) => new RunRequest(i, s, common)).ToList(), true, progress, "baselines");
            foreach (RunVerdict b in baselines)
            {
                long index = requests.Count;
                requests.Add(new RunRequest(index, b.Seed, common));
                done[index] = b with { Index = index };
                foreach (FaultRule rule in SystematicPlan.From(b))
                    requests.Add(new RunRequest(requests.Count, b.Seed, [.. common, rule]));
            }
        }
        else
        {
            for (int i = 0; i < all.Length; i++) requests.Add(new RunRequest(i, all[i], common));
        }
        List<RunRequest> mine = requests.Where(r => shard.Owns(r.Index)).ToList();
        List<RunRequest> toRun = mine.Where(r => !done.ContainsKey(r.Index)).ToList();
        RunVerdict[] ran = Parallel(toRun, false, progress, "runs");
        foreach (RunVerdict v in ran) done[v.Index] = v;
        Verdicts = mine.Select(r => done[r.Index]).ToList();
        return Tally(requests.Count);
    }

    // Runs the requests on `jobs` host threads; the verdicts come back in the requests' order.
    private RunVerdict[] Parallel(List<RunRequest> requests, bool baseline, CampaignProgress progress, string phase)
    {
        var verdicts = new RunVerdict[requests.Count];
        progress.Run(phase, requests.Count, advance =>
            System.Threading.Tasks.Parallel.For(0, requests.Count, new ParallelOptions { MaxDegreeOfParallelism = jobs }, i =>
            {
                RunRequest r = requests[i];
                verdicts[i] = OneRun.Execute(target, r.Index, r.Seed, r.Rules, baseline);
                advance(verdicts[i].Kind == VerdictKind.Failed);
            }));
        return verdicts;
    }

    private CampaignSummary Tally(long totalRuns)
    {
        var expectations = new List<ExpectationTally>();
        for (int e = 0; e < target.Scenario.Expectations.Count; e++)
        {
            int i = e;
            List<RunVerdict> missed = Verdicts.Where(v => v.Kind == VerdictKind.Failed && !v.ExpectationsMet[i]).ToList();
            Scenarios.Expectation x = target.Scenario.Expectations[i];
            expectations.Add(new ExpectationTally(string.Create(CultureInfo.InvariantCulture, $"{target.Scenario.Source}:{x.Line}: {x}"), missed.Count,
                missed.Count > 0 ? missed[0].Index : null, missed.Count > 0 ? missed[0].Seed : null));
        }
        List<FailureGroup> failures = Verdicts.Where(v => v.Kind == VerdictKind.Failed).GroupBy(v => v.Signature!, StringComparer.Ordinal)
            .Select(g => new FailureGroup(g.Key, g.Count(), g.First().Index, g.First().Seed, g.First().Rules.Select(r => r.Text).ToList())
            {
                Injected = g.First().Injected?.Select(r => r.Text).ToList(),
            })
            .OrderBy(f => f.FirstRun).ToList();
        return new CampaignSummary(target.Source, target.Scenario.Name, seeds.ToString(), mode.ToString(), target.Check.ToString().ToLowerInvariant(), totalRuns)
        {
            Shards = [shard.Index],
            ShardCount = shard.Count,
            Runs = Verdicts.Count,
            Failed = Verdicts.Count(v => v.Kind == VerdictKind.Failed),
            NotBooted = Verdicts.Count(v => v.Kind == VerdictKind.NotBooted),
            Expectations = expectations,
            Failures = failures,
        };
    }
}
