using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Tracing;
using MicroKernel.X86;
using Xunit.Abstractions;

namespace MicroKernel.Tests.X86;

/// <summary>
/// sim/scenarios/c-pages.scn: gcc-built C programs (pageproducer.c, pageconsumer.c, run from their committed
/// fixtures) exchange pages with the C# pipe programs in one scenario, and the run records and replays (full and
/// trace-driven). Traces go to a temporary folder.
/// </summary>
public class X86CScenarioTests : IDisposable
{
    private readonly ITestOutputHelper _output;

    /// <summary>These tests run their x86-64 programs on the interpreter (X86CScenarioTranslatedTests: on the translator).</summary>
    public X86CScenarioTests(ITestOutputHelper output) : this(output, X86CpuMode.Interpret) { }

    /// <summary>These tests, with their x86-64 programs on <paramref name="cpu"/>.</summary>
    protected X86CScenarioTests(ITestOutputHelper output, X86CpuMode cpu)
    {
        _output = output;
        X86CpuModes.Use(cpu);
    }

    /// <summary>The scenario file in the repository (its binaries are the fixtures).</summary>
    public static readonly string ScenarioPath = Path.Combine(CExamples.RepoRoot, "sim", "scenarios", "c-pages.scn");

    private readonly string _dir = Directory.CreateTempSubdirectory("mk-cpages-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void The_scenario_runs_the_committed_fixtures()
    {
        string text = File.ReadAllText(ScenarioPath);
        text.ShouldContain("binary=../../userland/examples/c/fixtures/pageproducer ");
        text.ShouldContain("binary=../../userland/examples/c/fixtures/pageconsumer ");
        CExamples.Fixture("pageproducer");
        CExamples.Fixture("pageconsumer");
    }

    [Fact]
    public void C_and_csharp_programs_exchange_pages_both_ways()
    {
        Scenario scenario = ScenarioRunner.Load(ScenarioPath);
        scenario.Config.InstructionsPerTick.ShouldBe(500);
        Kernel k = ScenarioRunner.Boot(scenario);
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        string console = string.Concat(log.Events.Where(e => e.Kind == EventKind.Console).Select(e => e.Text));
        _output.WriteLine(console);
        // C producer (pid 2) -> C# consumer (pid 1): every word checked by the C# handler.
        console.ShouldContain("C producer: moved batch 3\n");
        console.ShouldContain("consumer: batch 3 from pid 2 at ");
        console.ShouldContain("consumer: 4 batches, 0 bad words\n");
        // C# producer (pid 4) -> C consumer (pid 3): its C handler checks every word; exit status = bad words.
        console.ShouldContain("producer: moved batch 3 (2 pages from ");
        console.ShouldContain("C consumer: got batch 3\n");
        console.ShouldContain("C consumer: batches 4\n");
        r.Processes.Select(p => p.ExitStatus).ShouldAllBe(s => s == 0);
        k.ShouldBalance();

        // The C processes were preempted in their compute loops, not only at syscalls.
        log.Events.Count(e => e.Kind == EventKind.Switch && e.Text == "preempt" && e.Pid is 2 or 3).ShouldBeGreaterThan(0);
    }

    [Fact]
    public void The_run_records_and_replays_both_ways()
    {
        string trace = Path.Combine(_dir, "c-pages.mktrace");
        Mk("run", ScenarioPath, "--trace", trace).Code.ShouldBe(ExitCodes.Ok);
        var (code, stdout, stderr) = Mk("replay", trace);
        code.ShouldBe(ExitCodes.Ok, stdout + stderr);
        stdout.ShouldContain("OK: all ");
        (code, stdout, stderr) = Mk("replay", "--syscalls-only", trace);
        code.ShouldBe(ExitCodes.Ok, stdout + stderr);
        stdout.ShouldContain("every result as recorded");
    }

    private static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = new CliApp(stdout, stderr).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
