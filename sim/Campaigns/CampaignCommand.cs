using System.CommandLine;
using MicroKernel.Faults;
using MicroKernel.Invariants;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using Spectre.Console;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// <c>mk campaign SCENARIO [options]</c> and <c>mk campaign merge FILES...</c> (docs/campaigns.md, docs/cli.md). A bad
/// option value, scenario or rules file is refused before anything runs, with exit code 2 and a message naming it.
/// </summary>
internal sealed class CampaignCommand(TextWriter output, TextWriter error, Func<string, string?> environment)
{
    /// <summary>The settings one invocation gives, before they are checked.</summary>
    private sealed record Settings(string Scenario, string? Seeds, bool Systematic, double? Random, string? Kinds, string? Rules, CheckLevel Check, int? Jobs,
        string? Shard, int? ShardCount, string? Json, string? JUnit, string? Out, bool NoShrink);

    /// <summary>The <c>campaign</c> command with its <c>merge</c> subcommand.</summary>
    public Command Build()
    {
        var scenario = new Argument<string>("SCENARIO") { HelpName = "SCENARIO", Description = $"A scenario file or a built-in name ({string.Join(", ", ScenarioRunner.BuiltInNames)})" };
        var seeds = new Option<string?>("--seeds") { HelpName = "A..B|N", Description = "Seeds to run: A..B (both included) or N (1..N); default: the scenario's own seed" };
        var systematic = new Option<bool>("--systematic") { Description = "Fail-nth over the whole run: from a baseline per seed, the kth call of each syscall gets each documented error, and each frame request after boot fails once (one run each)" };
        var random = new Option<double?>("--random") { HelpName = "P", Description = "Add the rule 'random p=P' to every run (0 < P <= 1)" };
        var kinds = new Option<string?>("--kinds") { HelpName = "KINDS", Description = "With --random: the opportunities it injects at (syscall,frames,preempt,delay; default all)" };
        var rules = new Option<string?>("--rules") { HelpName = "FILE", Description = "A file of fault rules (one a line, # comments) added to every run" };
        var check = new Option<CheckLevel>("--check") { Description = "When each run checks the kernel's invariants: end, syscall (default) or tick", DefaultValueFactory = _ => CheckLevel.Syscall };
        var jobs = new Option<int?>("--jobs") { HelpName = "K", Description = "Runs at once (default: the number of cores)" };
        var shard = new Option<string?>("--shard") { HelpName = "I/N", Description = "Run only shard I of N (I/N); default: from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID (Slurm), else the whole campaign" };
        var shardCount = new Option<int?>("--shard-count") { HelpName = "N", Description = "The number of shards of a Kubernetes indexed Job (else MK_SHARDS) or a Slurm array" };
        var json = new Option<string?>("--json") { HelpName = "FILE", Description = "Write this shard's summary as JSON Lines to FILE (for mk campaign merge)" };
        var junit = new Option<string?>("--junit") { HelpName = "FILE", Description = "Write JUnit XML to FILE: one test case per expectation and per failure signature" };
        var outDir = new Option<string?>("--out") { HelpName = "DIR", Description = "Write per distinct failure its reproducer, its trace (replayable) and a JSON object into DIR" };
        // stdout carries the summary: these files cannot share it.
        foreach (Option<string?> o in new[] { json, junit, outDir }) CliValues.NotStdout(o, "the summary");
        var noShrink = new Option<bool>("--no-shrink") { Description = "Do not shrink failures: each reproducer keeps its run's own rules" };
        var command = new Command("campaign", "Run a scenario many times (seeds x fault points) in fresh kernels, group the failures by signature and print a reproducer for each (docs/campaigns.md)");
        command.Arguments.Add(scenario);
        foreach (Option o in new Option[] { seeds, systematic, random, kinds, rules, check, jobs, shard, shardCount, json, junit, outDir, noShrink }) command.Options.Add(o);
        command.SetAction(r => Run(new Settings(r.GetValue(scenario)!, r.GetValue(seeds), r.GetValue(systematic), r.GetValue(random), r.GetValue(kinds), r.GetValue(rules),
            r.GetValue(check), r.GetValue(jobs), r.GetValue(shard), r.GetValue(shardCount), r.GetValue(json), r.GetValue(junit), r.GetValue(outDir), r.GetValue(noShrink))));

        var files = new Argument<string[]>("FILE") { HelpName = "FILE", Description = "JSON Lines files written by the shards' --json", Arity = ArgumentArity.OneOrMore };
        var mergeJunit = new Option<string?>("--junit") { HelpName = "FILE", Description = "Write the merged result as JUnit XML to FILE" };
        CliValues.NotStdout(mergeJunit, "the summary");
        var merge = new Command("merge", "Merge the shards' --json files and print the summary one unsharded campaign prints");
        merge.Arguments.Add(files);
        merge.Options.Add(mergeJunit);
        merge.SetAction(r => Merge(r.GetValue(files) ?? [], r.GetValue(mergeJunit)));
        command.Subcommands.Add(merge);
        return command;
    }

    private int Refuse(string message)
    {
        error.WriteLine($"error: {message}");
        return ExitCodes.BadInput;
    }

    private int Run(Settings o)
    {
        if (o.Systematic && o.Random is not null) return Refuse("--systematic and --random are two modes: give one");
        if (o.Kinds is not null && o.Random is null) return Refuse("--kinds needs --random P");
        if (o.Jobs is < 1) return Refuse($"--jobs: expected at least 1, got {o.Jobs}");
        RandomFaultRule? randomRule = null;
        if (o.Random is { } p)
        {
            try
            {
                randomRule = (RandomFaultRule)FaultRule.Parse(string.Create(CultureInfo.InvariantCulture, $"random p={p:R}{(o.Kinds is { } k ? $" kinds={k}" : "")}"));
            }
            catch (FaultRuleException e)
            {
                return Refuse($"--random/--kinds: {e.Message}");
            }
        }
        Scenario scenario;
        try
        {
            scenario = ScenarioRunner.Load(o.Scenario);
        }
        catch (ScenarioException e)
        {
            return Refuse(e.Message);
        }
        SeedRange seeds = new(scenario.Config.Seed, scenario.Config.Seed);
        if (o.Seeds is not null)
        {
            if (SeedRange.Parse(o.Seeds, out string seedProblem) is not { } given) return Refuse(seedProblem);
            seeds = given;
        }
        ShardSpec? shard = o.Shard is not null ? ShardSpec.Parse(o.Shard, out string shardProblem) : ShardSpec.FromEnvironment(environment, o.ShardCount, out shardProblem);
        if (shard is null) return Refuse(shardProblem);
        IReadOnlyList<FaultRule> extra = [];
        if (o.Rules is not null)
        {
            if (ReadRules(o.Rules, scenario.Processes.Count, out string rulesProblem) is not { } read) return Refuse(rulesProblem);
            extra = read;
        }
        // A process line whose binary is missing or malformed fails every run the same way: refuse it once, up front.
        try
        {
            ScenarioRunner.Boot(scenario).Dispose();
        }
        catch (ScenarioException e)
        {
            return Refuse(e.Message);
        }

        var target = new CampaignTarget(o.Scenario, scenario, o.Check) { ExtraRules = extra };
        var mode = new CampaignMode(randomRule, o.Systematic);
        CampaignProgress progress = StandardStreams.IsTerminal(output) ? new BarProgress(AnsiConsole.Console) : new LineProgress(error);
        var campaign = new Campaign(target, seeds, mode, o.Jobs ?? Environment.ProcessorCount, shard);
        CampaignSummary summary = campaign.Run(progress);
        var failures = new List<FailureGroup>();
        for (int i = 0; i < summary.Failures.Count; i++)
        {
            progress.Say(string.Create(CultureInfo.InvariantCulture, $"{(o.NoShrink ? "checking" : "shrinking")} failure {i + 1} of {summary.Failures.Count}"));
            failures.Add(summary.Failures[i] with { Reproducer = Reproduction.For(target, summary.Failures[i], !o.NoShrink) });
        }
        summary = summary with { Failures = failures };
        CampaignReport.Print(summary, output);
        // A file that cannot be written is an I/O error (docs/cli.md), after the summary.
        if (o.Json is not null && !WriteFile(o.Json, "--json", CampaignJson.Write(summary))) return ExitCodes.IoError;
        if (o.JUnit is not null && !WriteFile(o.JUnit, "--junit", JUnitReport.Write(summary))) return ExitCodes.IoError;
        if (o.Out is not null && !FailureArchive.Write(o.Out, target, summary, error)) return ExitCodes.IoError;
        return summary.Failed > 0 ? ExitCodes.ExpectationFailed : ExitCodes.Ok;
    }

    private int Merge(string[] files, string? junit)
    {
        var parts = new List<CampaignSummary>();
        foreach (string file in files)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return Refuse($"cannot read '{file}': {e.Message}");
            }
            if (CampaignJson.Read(file, text, out string problem) is not { } part) return Refuse(problem);
            parts.Add(part);
        }
        if (CampaignSummary.Merge(parts, out string mergeProblem) is not { } merged) return Refuse(mergeProblem);
        if (!merged.Complete)
        {
            List<int> missing = Enumerable.Range(1, merged.ShardCount).Except(merged.Shards).ToList();
            error.WriteLine($"warning: shards {string.Join(", ", missing)} of {merged.ShardCount} are missing: the summary covers {merged.Runs} of {merged.TotalRuns} runs");
        }
        CampaignReport.Print(merged, output);
        if (junit is not null && !WriteFile(junit, "--junit", JUnitReport.Write(merged))) return ExitCodes.IoError;
        return merged.Failed > 0 ? ExitCodes.ExpectationFailed : ExitCodes.Ok;
    }

    // Reads a --rules file: one rule a line, '#' comments, blank lines ignored; null and "FILE:LINE: ..." on the first bad one.
    private static List<FaultRule>? ReadRules(string path, int processCount, out string problem)
    {
        problem = "";
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problem = $"--rules: cannot read '{path}': {e.Message}";
            return null;
        }
        var rules = new List<FaultRule>();
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0) line = line[..hash];
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                FaultRule rule = FaultRule.Parse(line.Trim());
                FaultRuleParser.CheckPid(rule, processCount);
                rules.Add(rule);
            }
            catch (FaultRuleException e)
            {
                problem = string.Create(CultureInfo.InvariantCulture, $"{path}:{n + 1}: {e.Message}");
                return null;
            }
        }
        return rules;
    }

    private bool WriteFile(string path, string option, string text)
    {
        try
        {
            File.WriteAllText(path, text);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"error: {option}: cannot write '{path}': {e.Message}");
            return false;
        }
    }
}
