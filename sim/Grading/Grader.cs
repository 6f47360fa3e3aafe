using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MicroKernel.Sim.Grading;

/// <summary>
/// <c>mk grade ASSIGNMENT</c> (assignments/README.md): builds the assignment's project, then runs each of its test
/// scenarios (<c>tests/*.scn</c>, and a teacher's hidden ones) under several schedulers and seeds, each run in a
/// child <c>mk run --json</c> with a wall-clock limit, so a student's endless loop fails that run and never hangs
/// the grader. A run passes when it completes and meets every <c>expect</c> line.
/// </summary>
/// <param name="log">Where progress and build failures go.</param>
public sealed partial class Grader(TextWriter log)
{
    /// <summary>The schedulers each test runs under, unless told otherwise.</summary>
    public static readonly IReadOnlyList<string> DefaultSchedulers = ["RoundRobin", "Priority", "Random"];

    /// <summary>The seeds each test runs with, unless told otherwise.</summary>
    public static readonly IReadOnlyList<ulong> DefaultSeeds = [1, 2, 3];

    /// <summary>Schedulers to run each test under.</summary>
    public IReadOnlyList<string> Schedulers { get; init; } = DefaultSchedulers;

    /// <summary>Seeds to run each test with.</summary>
    public IReadOnlyList<ulong> Seeds { get; init; } = DefaultSeeds;

    /// <summary>Wall-clock limit of one run.</summary>
    public TimeSpan RunLimit { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Builds the project in <paramref name="assignment"/> with <c>dotnet build</c>; returns its output folder, or null
    /// (with the build's output on the log) when it does not build.
    /// </summary>
    public string? Build(string assignment)
    {
        string? project = Directory.GetFiles(assignment, "*.csproj").Order(StringComparer.Ordinal).FirstOrDefault();
        if (project is null)
        {
            log.WriteLine($"error: no .csproj in {assignment}");
            return null;
        }
        (int code, string output, string errors) = Start(DotnetHost(), ["build", project, "-c", "Debug", "-nologo", "-v", "q"], TimeSpan.FromMinutes(5));
        if (code != 0)
        {
            log.WriteLine($"error: {Path.GetFileName(project)} does not build:");
            log.WriteLine((output + errors).TrimEnd());
            return null;
        }
        return OutputFolder(assignment);
    }

    /// <summary>Where the assignment's project puts its assembly (Debug build).</summary>
    public static string OutputFolder(string assignment) => Path.Combine(assignment, "bin", "Debug", "net10.0");

    /// <summary>The test scenarios: the assignment's <c>tests/*.scn</c>, then <paramref name="hidden"/>'s as <c>hidden/NAME</c>.</summary>
    public static IReadOnlyList<(string Name, string Path)> Tests(string assignment, string? hidden)
    {
        var tests = new List<(string, string)>();
        string own = Path.Combine(assignment, "tests");
        if (Directory.Exists(own))
            tests.AddRange(Directory.GetFiles(own, "*.scn").Order(StringComparer.Ordinal).Select(f => (Path.GetFileNameWithoutExtension(f), f)));
        if (hidden is not null)
            tests.AddRange(Directory.GetFiles(hidden, "*.scn").Order(StringComparer.Ordinal).Select(f => ("hidden/" + Path.GetFileNameWithoutExtension(f), f)));
        return tests;
    }

    /// <summary>
    /// Runs every test under every scheduler and seed. Each scenario is copied beside the assembly first, so its
    /// <c>program=NAME.dll:CLASS</c> lines find the build (wherever the scenario came from: a hidden test too).
    /// </summary>
    public IReadOnlyList<GradeTest> Grade(string outputFolder, IReadOnlyList<(string Name, string Path)> tests)
    {
        string mk = typeof(Grader).Assembly.Location;
        var jobs = new List<(int Test, string Scheduler, ulong Seed, string Copy)>();
        var texts = new List<string>();
        for (int t = 0; t < tests.Count; t++)
        {
            string text = File.ReadAllText(tests[t].Path);
            texts.Add(text);
            string copy = Path.Combine(outputFolder, "grade-" + tests[t].Name.Replace('/', '-') + ".scn");
            File.WriteAllText(copy, text);
            foreach (string scheduler in Schedulers)
                foreach (ulong seed in Seeds) jobs.Add((t, scheduler, seed, copy));
        }
        // The runs are independent processes: as many at once as there are cores; results land by index, in order.
        var runs = new GradeRun[jobs.Count];
        Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, i =>
        {
            (int t, string scheduler, ulong seed, string copy) = jobs[i];
            string[] args = [mk, "run", copy, "--scheduler", scheduler, "--seed", seed.ToString(CultureInfo.InvariantCulture), "--json"];
            (int code, string output, string errors) = Start(DotnetHost(), args, RunLimit);
            runs[i] = new GradeRun(tests[t].Name, scheduler, seed, code == 0, code == 0 ? "" : Why(code, output, errors));
        });
        var graded = new List<GradeTest>();
        for (int t = 0; t < tests.Count; t++)
        {
            var test = new GradeTest(tests[t].Name, [.. runs.Where((_, i) => jobs[i].Test == t)], Points(texts[t]));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"graded {test.Test}: {test.Passed} of {test.Runs.Count} runs passed"));
            graded.Add(test);
        }
        return graded;
    }

    // What a failed run's JSON says: the failed expectations, or the outcome; a killed run says so.
    private string Why(int code, string output, string errors)
    {
        if (code == -1) return string.Create(CultureInfo.InvariantCulture, $"timeout: still running after {RunLimit.TotalSeconds} s (an endless loop?)");
        int start = output.IndexOf('{', StringComparison.Ordinal);
        if (start < 0) return string.Create(CultureInfo.InvariantCulture, $"exit code {code}: {FirstLine(errors)}");
        try
        {
            using JsonDocument doc = JsonDocument.Parse(output[start..]);
            JsonElement root = doc.RootElement;
            var failed = root.GetProperty("expectations").EnumerateArray().Where(e => !e.GetProperty("met").GetBoolean())
                .Select(e => $"{e.GetProperty("expect").GetString()}: {e.GetProperty("seen").GetString()}").ToList();
            string outcome = root.GetProperty("outcome").GetString()!;
            return outcome != "Completed" ? $"{outcome}" + (failed.Count > 0 ? "; " + failed[0] : "") : string.Join("; ", failed);
        }
        catch (JsonException)
        {
            return string.Create(CultureInfo.InvariantCulture, $"exit code {code}: {FirstLine(errors)}");
        }
    }

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "";

    // A scenario may weigh itself: a comment line "# points: N".
    private static int Points(string scenario)
    {
        Match m = PointsLine().Match(scenario);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 1;
    }

    // The dotnet that runs this mk (set by the dotnet CLI for its children), else the one on PATH.
    private static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    // Runs a child process (its stdout, its stderr); code -1 when it passed the limit and was killed (with its children).
    private static (int Code, string Output, string Errors) Start(string file, string[] args, TimeSpan limit)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using Process p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, "", "");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [GeneratedRegex(@"^\s*#\s*points:\s*(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex PointsLine();
}
