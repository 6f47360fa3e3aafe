using MicroKernel.Faults;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// Turns each distinct failure into one pasteable line, <c>mk run SCENARIO --seed S --check L --fault "..."</c>:
/// first shrunk (delta debugging over the failing run's injections, each as a fixed rule, down to a minimal set that
/// still fails with the same signature), then re-run from the rules' text, as <c>mk run</c> would read them, to check
/// that it reproduces the same signature before it is printed.
/// </summary>
public static class Reproduction
{
    /// <summary>The reproducer of <paramref name="failure"/>; <paramref name="shrink"/> false keeps the run's own rules.</summary>
    public static Reproducer For(CampaignTarget target, FailureGroup failure, bool shrink)
    {
        bool FailsSame(IReadOnlyList<FaultRule> rules) => OneRun.Execute(target, failure.FirstRun, failure.FirstSeed, rules).Signature == failure.Signature;
        List<FaultRule> own = failure.Rules.Select(FaultRule.Parse).ToList();
        IReadOnlyList<FaultRule> chosen = own;
        string note;
        if (!shrink) note = "not shrunk (--no-shrink): the run's own rules";
        else if (failure.Injected is null) note = "not shrunk: an injection could not be written as a fixed rule; the run's own rules";
        else
        {
            List<FaultRule> injected = failure.Injected.Select(FaultRule.Parse).ToList();
            if (!FailsSame(injected)) note = $"not shrunk: its {Count(injected.Count, "injection")} as fixed rules do not fail the same way; the run's own rules";
            else
            {
                chosen = Shrinker.Minimize(injected, FailsSame, out int tests);
                note = $"shrunk from {Count(injected.Count, "injection")} to {Count(chosen.Count, "rule")} in {Count(tests, "run")}";
            }
        }
        List<string> texts = chosen.Select(r => r.Text).ToList();
        // Checked as the user will run it: the rules read back from their text.
        bool reproduced = FailsSame(texts.Select(FaultRule.Parse).ToList());
        return new Reproducer(texts, Command(target, failure.FirstSeed, texts), note, reproduced);
    }

    /// <summary>The command line that runs <paramref name="rules"/> on the target's scenario with <paramref name="seed"/>.</summary>
    public static string Command(CampaignTarget target, ulong seed, IReadOnlyList<string> rules) =>
        string.Create(CultureInfo.InvariantCulture, $"mk run {Quote(target.Source)} --seed {seed} --check {target.Check.ToString().ToLowerInvariant()}")
        + string.Concat(rules.Select(r => $" --fault \"{r}\""));

    /// <summary>The arguments of that command for <c>mk</c> itself (without the leading <c>mk</c>).</summary>
    public static string[] Arguments(CampaignTarget target, ulong seed, IReadOnlyList<string> rules) =>
        ["run", target.Source, "--seed", seed.ToString(CultureInfo.InvariantCulture), "--check", target.Check.ToString().ToLowerInvariant(),
            .. rules.SelectMany(r => new[] { "--fault", r })];

    private static string Quote(string word) => word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or ':') ? word : $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    private static string Count(long n, string what) => string.Create(CultureInfo.InvariantCulture, $"{n} {what}{(n == 1 ? "" : "s")}");
}
