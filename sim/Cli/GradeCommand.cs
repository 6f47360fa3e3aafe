using System.CommandLine;
using MicroKernel.Sim.Grading;

namespace MicroKernel.Sim.Cli;

/// <summary><c>mk grade ASSIGNMENT [--hidden DIR] [--json] [--junit FILE]</c>: builds and scores an assignment (assignments/README.md).</summary>
internal sealed class GradeCommand(TextWriter output, TextWriter error)
{
    public Command Build()
    {
        var assignment = new Argument<string>("ASSIGNMENT") { HelpName = "ASSIGNMENT", Description = "The assignment's folder (its .csproj and tests/*.scn), e.g. assignments/threads" };
        var hidden = new Option<string?>("--hidden") { HelpName = "DIR", Description = "A folder of more test scenarios (the teacher's hidden tests)" };
        var json = new Option<bool>("--json") { Description = "Print the scores as one JSON document instead of the table" };
        var junit = new Option<string?>("--junit") { HelpName = "FILE", Description = "Also write the runs as JUnit XML to this file" };
        var noBuild = new Option<bool>("--no-build") { Description = "Grade the assembly already built in bin/Debug/net10.0" };
        var seeds = new Option<string?>("--seeds") { HelpName = "N,N,...", Description = "Comma-separated seeds (default 1,2,3)" };
        var schedulers = new Option<string?>("--schedulers") { HelpName = "NAME,NAME,...", Description = "Comma-separated schedulers (default RoundRobin,Priority,Random)" };
        var timeout = new Option<double?>("--timeout") { HelpName = "SECONDS", Description = "Wall-clock seconds one run may take before it fails (default 20)" };
        // stdout carries the score table (or its JSON): the JUnit XML cannot share it.
        CliValues.NotStdout(junit, "the scores");
        var grade = new Command("grade", "Build an assignment and score its test scenarios over several schedulers and seeds (exit 0: full marks, 7: points lost)");
        grade.Arguments.Add(assignment);
        foreach (Option o in new Option[] { hidden, json, junit, noBuild, seeds, schedulers, timeout }) grade.Options.Add(o);
        grade.SetAction(r => Grade(r.GetValue(assignment)!, r.GetValue(hidden), r.GetValue(json), r.GetValue(junit), r.GetValue(noBuild),
            r.GetValue(seeds), r.GetValue(schedulers), r.GetValue(timeout)));
        return grade;
    }

    private int Grade(string assignment, string? hidden, bool json, string? junit, bool noBuild, string? seedList, string? schedulerList, double? timeout)
    {
        if (!Directory.Exists(assignment)) return Bad($"no such assignment folder '{assignment}'");
        if (hidden is not null && !Directory.Exists(hidden)) return Bad($"no such folder '{hidden}' (--hidden)");
        var seeds = new List<ulong>();
        foreach (string s in Split(seedList))
        {
            if (!ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v)) return Bad($"--seeds: '{s}' is not a seed");
            seeds.Add(v);
        }
        var policies = new List<string>();
        foreach (string s in Split(schedulerList))
        {
            if (!Enum.TryParse(s, ignoreCase: false, out Scheduling.PolicyKind k) || !Enum.IsDefined(k)) return Bad($"--schedulers: '{s}' is not RoundRobin, Priority or Random");
            policies.Add(k.ToString());
        }
        if (timeout is { } t && (t <= 0 || !double.IsFinite(t))) return Bad("--timeout must be a positive number of seconds");
        IReadOnlyList<(string Name, string Path)> tests = Grader.Tests(assignment, hidden);
        if (tests.Count == 0) return Bad($"no test scenarios in {Path.Combine(assignment, "tests")}" + (hidden is null ? "" : $" or {hidden}"));
        var grader = new Grader(error)
        {
            Seeds = seeds.Count > 0 ? seeds : Grader.DefaultSeeds,
            Schedulers = policies.Count > 0 ? policies : Grader.DefaultSchedulers,
            RunLimit = TimeSpan.FromSeconds(timeout ?? 20),
        };
        string? folder = noBuild ? Grader.OutputFolder(assignment) : grader.Build(assignment);
        if (folder is null) return ExitCodes.BadInput;
        if (!Directory.Exists(folder)) return Bad($"no build in {folder} (run without --no-build)");
        IReadOnlyList<GradeTest> graded = grader.Grade(folder, tests);
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(assignment)));
        if (json) GradeReport.Json(output, name, graded);
        else GradeReport.Table(output, name, graded);
        if (junit is not null)
        {
            try
            {
                GradeReport.JUnit(junit, name, graded);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                error.WriteLine($"error: --junit: cannot write '{junit}': {e.Message}");
                return ExitCodes.IoError;
            }
        }
        return GradeReport.Total(graded) >= GradeReport.Possible(graded) ? ExitCodes.Ok : ExitCodes.ExpectationFailed;
    }

    private static string[] Split(string? list) => list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    private int Bad(string message)
    {
        error.WriteLine($"error: {message}");
        return ExitCodes.Usage;
    }
}
