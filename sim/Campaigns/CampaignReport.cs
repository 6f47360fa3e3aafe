using Spectre.Console;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// Prints a campaign's summary: the numbers, a table of failure signatures with counts and first seeds, each one's
/// reproducer, and each expectation's tally. A function of the <see cref="CampaignSummary"/> alone (no time, no
/// shard, no job count), so a whole campaign and its merged shards print the same bytes.
/// </summary>
public static class CampaignReport
{
    /// <summary>Writes the summary of <paramref name="s"/> to <paramref name="output"/>.</summary>
    public static void Print(CampaignSummary s, TextWriter output)
    {
        output.WriteLine($"campaign: scenario '{s.ScenarioName}' ({s.Scenario}), seeds {s.Seeds}, {s.Mode}, check {s.Check}");
        string of = s.Runs == s.TotalRuns ? "" : string.Create(CultureInfo.InvariantCulture, $" of {s.TotalRuns} (shards {string.Join(",", s.Shards)} of {s.ShardCount})");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"runs: {s.Runs}{of}: {s.Passed} passed, {s.Failed} failed{(s.NotBooted > 0 ? $", {s.NotBooted} could not boot (a spawn's frame request refused)" : "")}; {s.Failures.Count} distinct failures"));
        if (s.Failures.Count > 0)
        {
            output.WriteLine();
            IAnsiConsole console = Cli.PlainConsole.For(output, 160);
            var table = new Table().Border(TableBorder.Ascii).Title("failures");
            foreach (string column in new[] { "#", "runs", "first seed", "signature" }) table.AddColumn(column);
            for (int i = 0; i < s.Failures.Count; i++)
            {
                FailureGroup f = s.Failures[i];
                table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), f.Count.ToString(CultureInfo.InvariantCulture), f.FirstSeed.ToString(CultureInfo.InvariantCulture), Markup.Escape(f.Signature));
            }
            console.Write(table);
            output.WriteLine();
            output.WriteLine("reproducers (each re-run before printing):");
            for (int i = 0; i < s.Failures.Count; i++)
            {
                FailureGroup f = s.Failures[i];
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  #{i + 1} (run {f.FirstRun}, seed {f.FirstSeed}): {f.Signature}"));
                if (f.Reproducer is not { } r)
                {
                    output.WriteLine("      (no reproducer made)");
                    continue;
                }
                output.WriteLine($"      {r.Command}");
                output.WriteLine($"      {r.Note}; {(r.Reproduced ? "checked: it fails the same way" : "WARNING: re-running it did NOT fail the same way")}");
            }
        }
        if (s.Expectations.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("expectations:");
            foreach (ExpectationTally e in s.Expectations)
                output.WriteLine(e.FailedRuns == 0 ? $"  held    {e.Text}"
                    : string.Create(CultureInfo.InvariantCulture, $"  FAILED  {e.Text}: in {e.FailedRuns} run{(e.FailedRuns == 1 ? "" : "s")} (first: run {e.FirstRun}, seed {e.FirstSeed})"));
        }
    }
}
