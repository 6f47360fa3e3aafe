using System.CommandLine;
using MicroKernel.Faults;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// The repeatable <c>--fault "RULE"</c> option of <c>run</c> and <c>exec</c> (docs/cli.md): each adds one rule to the
/// run's fault plan, after the scenario's own <c>fault</c> lines. A malformed rule, or one whose pid names no process
/// of the run, is refused before anything runs (exit 2).
/// </summary>
internal static class FaultOption
{
    /// <summary>A new <c>--fault</c> option.</summary>
    public static Option<string[]> Create() => new("--fault")
    {
        Description = "Inject a fault: a rule such as \"syscall name=map nth=2 error=OutOfMemory\" (repeatable; docs/faults.md)",
        AllowMultipleArgumentsPerToken = false,
        HelpName = "RULE",
    };

    /// <summary>
    /// <paramref name="plan"/> followed by <paramref name="rules"/>, for a run of <paramref name="processCount"/>
    /// processes; null (and the refusal written to <paramref name="error"/>) when a rule cannot be used.
    /// </summary>
    public static FaultPlan? Append(FaultPlan plan, IReadOnlyList<string> rules, int processCount, TextWriter error)
    {
        if (rules.Count == 0) return plan;
        var all = new List<FaultRule>(plan.Rules);
        foreach (string text in rules)
        {
            try
            {
                FaultRule rule = FaultRule.Parse(text);
                FaultRuleParser.CheckPid(rule, processCount);
                all.Add(rule);
            }
            catch (FaultRuleException e)
            {
                error.WriteLine($"error: --fault: {e.Message}");
                return null;
            }
        }
        return new FaultPlan(all);
    }
}
