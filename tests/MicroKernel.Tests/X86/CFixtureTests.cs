using System.Text.RegularExpressions;
using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Tracing;
using Xunit.Abstractions;

namespace MicroKernel.Tests.X86;

/// <summary>
/// The committed ELF fixtures of the C examples (userland/examples/c/fixtures) against their sources. Without gcc
/// the rebuild tests are reported as skipped (the others run everywhere); with gcc, each example is rebuilt into a
/// temporary folder with the Makefile's flags and must behave on the simulator exactly as its fixture does; with the
/// very toolchain recorded in fixtures.toolchain it must also be the same bytes.
/// </summary>
public sealed partial class CFixtureTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mk-cfixtures-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every example, by name (NAME.c).</summary>
    public static TheoryData<string> Examples => [.. CExamples.Names];

    /// <summary>Arguments that make an example's run say something (the others run with none).</summary>
    private static readonly Dictionary<string, string[]> Args = new(StringComparer.Ordinal)
    {
        ["sieve"] = ["1000"],
    };

    [Fact]
    public void Every_example_has_a_fixture_and_every_fixture_an_example()
    {
        IReadOnlyList<string> names = CExamples.Names;
        names.ShouldContain("hello");
        string[] fixtures = [.. Directory.GetFiles(CExamples.FixturesDir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];
        fixtures.ShouldBe(names, "userland/examples/c/fixtures must hold exactly one ELF file per NAME.c: run `make -C userland/examples/c fixtures`");
        foreach (string name in names)
            CExamples.FixtureBytes(name).AsSpan(0, 4).ToArray().ShouldBe(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, name);
    }

    [Fact]
    public void Every_fixture_was_built_by_the_recorded_gcc()
    {
        string[] lines = File.ReadAllText(CExamples.ToolchainFile).ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        lines.Length.ShouldBe(2, "fixtures.toolchain: the first line of gcc --version, then of ld --version");
        lines[0].ShouldStartWith("gcc ");
        lines[1].ShouldContain(" ld ");
        // gcc writes "GCC: " and its version line into each program's .comment section.
        string mark = "GCC: " + lines[0]["gcc ".Length..];
        foreach (string name in CExamples.Names)
            System.Text.Encoding.ASCII.GetString(CExamples.FixtureBytes(name)).ShouldContain(mark, customMessage: $"fixtures/{name} was built by another gcc");
    }

    /// <summary>The flags the tests build with are the Makefile's, so "rebuilt as the Makefile does" stays true.</summary>
    [Fact]
    public void The_tests_build_with_the_makefile_flags()
    {
        string makefile = File.ReadAllText(Path.Combine(CExamples.ExamplesDir, "Makefile"));
        Match cflags = CflagsLine().Match(makefile);
        cflags.Success.ShouldBeTrue("the Makefile has no CFLAGS line");
        string[] flags = cflags.Groups[1].Value.Replace("$(CURDIR)", CExamples.ExamplesDir)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        flags.ShouldBe(CExamples.Flags);
        string readme = File.ReadAllText(Path.Combine(CExamples.ExamplesDir, "README.md"));
        readme.ShouldContain(cflags.Groups[1].Value.Trim(), customMessage: "README.md must show the Makefile's flags");
    }

    [GccTheory]
    [MemberData(nameof(Examples))]
    public void A_rebuilt_example_behaves_like_its_fixture(string name)
    {
        string rebuilt = Path.Combine(_dir, name);
        CExamples.Build(name, rebuilt);
        string[] args = Args.GetValueOrDefault(name, []);
        var fromFixture = Exec(CExamples.Fixture(name), args);
        var fromSource = Exec(rebuilt, args);
        output.WriteLine($"{name}: exit {fromFixture.Code}\n{fromFixture.Out}{fromFixture.Err}");
        if (name == "fault") fromFixture.Err.ShouldBe("fault: pid 1 tid 1: NotPresent (write at 0x0)");
        fromSource.ShouldBe(fromFixture, $"{name}.c no longer does what fixtures/{name} does: run `make -C userland/examples/c fixtures`");
    }

    /// <summary>
    /// The page pair needs its peers: the c-pages scenario with rebuilt binaries gives every process the console
    /// output and exit status it has with the fixtures. (Per process: how the processes interleave depends on the
    /// instruction counts, which another gcc version may change.)
    /// </summary>
    [GccFact]
    public void The_page_scenario_runs_the_same_on_rebuilt_binaries()
    {
        string text = File.ReadAllText(X86CScenarioTests.ScenarioPath);
        const string fixtures = "../../userland/examples/c/fixtures/";
        text.ShouldContain(fixtures);
        foreach (string name in new[] { "pageproducer", "pageconsumer" })
            CExamples.Build(name, Path.Combine(_dir, name));
        string copy = Path.Combine(_dir, "c-pages.scn");
        File.WriteAllText(copy, text.Replace(fixtures, ""));

        string[] withFixtures = RunPerProcess(X86CScenarioTests.ScenarioPath);
        withFixtures.ShouldContain(p => p.Contains("C consumer: batches 4\n", StringComparison.Ordinal));
        RunPerProcess(copy).ShouldBe(withFixtures);
    }

    // Runs a scenario: its outcome, then each process's console output and exit status, in pid order.
    private static string[] RunPerProcess(string scenarioPath)
    {
        Kernel k = ScenarioRunner.Boot(ScenarioRunner.Load(scenarioPath));
        (RunResult r, EventLog log) = k.RunLogged();
        return [$"outcome {r.Outcome}", .. r.Processes.OrderBy(p => p.Pid).Select(p =>
            $"pid {p.Pid} exit {p.ExitStatus}:\n" + string.Concat(log.Events.Where(e => e.Kind == EventKind.Console && e.Pid == p.Pid).Select(e => e.Text)))];
    }

    [SameToolchainTheory]
    [MemberData(nameof(Examples))]
    public void A_rebuild_with_the_fixtures_toolchain_gives_the_same_bytes(string name)
    {
        string rebuilt = Path.Combine(_dir, name);
        CExamples.Build(name, rebuilt);
        File.ReadAllBytes(rebuilt).ShouldBe(CExamples.FixtureBytes(name),
            $"fixtures/{name} is not what {name}.c compiles to with the same gcc and ld: run `make -C userland/examples/c fixtures`");
    }

    /// <summary>
    /// What a run did: exit status, console output, and the first line of each kernel report up to its reason
    /// ("fault: pid 1 tid 1: NotPresent (write at 0x0)", "run ended: Deadlock"). The rest of a fault report (the
    /// instruction's address, the registers) depends on how a gcc version lays out the code, so it is left out.
    /// </summary>
    private static (int Code, string Out, string Err) Exec(string program, string[] args)
    {
        (int code, string stdout, string stderr) = Mk(["exec", "--max-ticks", "200000", program, .. args]);
        var reports = stderr.ReplaceLineEndings("\n").Split('\n')
            .Where(line => line.StartsWith("fault:", StringComparison.Ordinal) || line.StartsWith("run ended:", StringComparison.Ordinal))
            .Select(line => line.IndexOf(')', StringComparison.Ordinal) is int end and >= 0 ? line[..(end + 1)] : line);
        return (code, stdout, string.Join("\n", reports));
    }

    private static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = new CliApp(stdout, stderr).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [GeneratedRegex(@"^CFLAGS\s*:=(.*)$", RegexOptions.Multiline)]
    private static partial Regex CflagsLine();
}
