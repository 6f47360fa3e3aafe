namespace MicroKernel.Sim.Campaigns;

/// <summary>How one <c>expect</c> line fared over the campaign's runs.</summary>
/// <param name="Text">Where it is and what it says (<c>builtin:demo:21: expect process=hello status=0</c>).</param>
/// <param name="FailedRuns">Runs in which it was not met.</param>
/// <param name="FirstRun">The first such run (lowest run number), or null.</param>
/// <param name="FirstSeed">That run's seed.</param>
public sealed record ExpectationTally(string Text, long FailedRuns, long? FirstRun, ulong? FirstSeed);

/// <summary>A pasteable command that makes a failure happen again, and how it was found.</summary>
/// <param name="Rules">The fault rules it passes with <c>--fault</c>, in order.</param>
/// <param name="Command">The whole command line, <c>mk run SCENARIO --seed S --check L --fault "..."</c>.</param>
/// <param name="Note">How it was shrunk (or why not), in a few words.</param>
/// <param name="Reproduced">True when re-running it gave the same signature.</param>
public sealed record Reproducer(IReadOnlyList<string> Rules, string Command, string Note, bool Reproduced);

/// <summary>Every run that failed with one signature: how many, the first one, and its reproducer.</summary>
/// <param name="Signature">What failed and where.</param>
/// <param name="Count">Runs that failed this way.</param>
/// <param name="FirstRun">The first of them (lowest run number).</param>
/// <param name="FirstSeed">Its seed.</param>
/// <param name="Rules">The campaign's rules of that run, as texts.</param>
public sealed record FailureGroup(string Signature, long Count, long FirstRun, ulong FirstSeed, IReadOnlyList<string> Rules)
{
    /// <summary>The first run's injections as fixed rules (null when a random injection could not be translated).</summary>
    public IReadOnlyList<string>? Injected { get; init; }

    /// <summary>Its reproducer, once made (null before shrinking).</summary>
    public Reproducer? Reproducer { get; init; }
}

/// <summary>
/// What a campaign (or one shard of it, or shards merged) found: the numbers, each expectation's tally and the
/// distinct failures ordered by their first run. The printed summary is a function of this alone, so a merge of
/// shards prints what the whole campaign prints.
/// </summary>
/// <param name="Scenario">The scenario as named on the command line.</param>
/// <param name="ScenarioName">The scenario's own name.</param>
/// <param name="Seeds">The seeds.</param>
/// <param name="Mode">The mode in words (<see cref="CampaignMode"/>).</param>
/// <param name="Check">The invariant check level, lower case.</param>
/// <param name="TotalRuns">Runs of the whole campaign (all shards).</param>
public sealed record CampaignSummary(string Scenario, string ScenarioName, string Seeds, string Mode, string Check, long TotalRuns)
{
    /// <summary>The shards this summary covers (their indices, 1-based) and how many the campaign was cut into.</summary>
    public IReadOnlyList<int> Shards { get; init; } = [1];

    /// <summary>How many shards the campaign was cut into.</summary>
    public int ShardCount { get; init; } = 1;

    /// <summary>Runs this summary covers.</summary>
    public long Runs { get; init; }

    /// <summary>Runs that failed.</summary>
    public long Failed { get; init; }

    /// <summary>Runs that could not boot (an injected frame refusal hit a spawn of the scenario's own processes).</summary>
    public long NotBooted { get; init; }

    /// <summary>Each <c>expect</c> line's tally, in file order.</summary>
    public IReadOnlyList<ExpectationTally> Expectations { get; init; } = [];

    /// <summary>The distinct failures, by first run.</summary>
    public IReadOnlyList<FailureGroup> Failures { get; init; } = [];

    /// <summary>Runs that passed.</summary>
    public long Passed => Runs - Failed - NotBooted;

    /// <summary>
    /// Several shards' summaries as one: counts add up, each failure keeps its earliest run (and that shard's
    /// reproducer). Null and a message when they are not shards of one campaign.
    /// </summary>
    public static CampaignSummary? Merge(IReadOnlyList<CampaignSummary> parts, out string problem)
    {
        problem = "";
        if (parts.Count == 0)
        {
            problem = "no shard summaries to merge";
            return null;
        }
        CampaignSummary first = parts[0];
        foreach (CampaignSummary p in parts.Skip(1))
        {
            if (p.Scenario != first.Scenario || p.Seeds != first.Seeds || p.Mode != first.Mode || p.Check != first.Check || p.TotalRuns != first.TotalRuns
                || p.ShardCount != first.ShardCount || p.Expectations.Count != first.Expectations.Count)
            {
                problem = $"the files are not shards of one campaign: '{first.Scenario}' seeds {first.Seeds} {first.Mode} check {first.Check} in {first.ShardCount} shards vs '{p.Scenario}' seeds {p.Seeds} {p.Mode} check {p.Check} in {p.ShardCount} shards";
                return null;
            }
        }
        List<int> shards = parts.SelectMany(p => p.Shards).Order().ToList();
        if (shards.Distinct().Count() != shards.Count)
        {
            problem = $"a shard is given twice (shards {string.Join(", ", shards)})";
            return null;
        }
        var expectations = new List<ExpectationTally>();
        for (int i = 0; i < first.Expectations.Count; i++)
        {
            List<ExpectationTally> each = parts.Select(p => p.Expectations[i]).ToList();
            ExpectationTally? earliest = each.Where(e => e.FirstRun is not null).MinBy(e => e.FirstRun);
            expectations.Add(new ExpectationTally(first.Expectations[i].Text, each.Sum(e => e.FailedRuns), earliest?.FirstRun, earliest?.FirstSeed));
        }
        List<FailureGroup> failures = parts.SelectMany(p => p.Failures).GroupBy(f => f.Signature, StringComparer.Ordinal)
            .Select(g => g.MinBy(f => f.FirstRun)! with { Count = g.Sum(f => f.Count) })
            .OrderBy(f => f.FirstRun).ToList();
        return first with
        {
            Shards = shards,
            Runs = parts.Sum(p => p.Runs),
            Failed = parts.Sum(p => p.Failed),
            NotBooted = parts.Sum(p => p.NotBooted),
            Expectations = expectations,
            Failures = failures,
        };
    }

    /// <summary>True when this summary covers every shard of its campaign.</summary>
    public bool Complete => Shards.Count == ShardCount;
}
