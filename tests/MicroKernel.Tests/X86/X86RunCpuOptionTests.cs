using MicroKernel.Sim.Cli;
using MicroKernel.Tests.Tracing;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// <c>mk run SCENARIO --cpu interpret|translate [--translate-threshold N]</c>: the options override the scenario's
/// <c>cpu</c> and <c>translate-threshold</c> directives for its x86-64 binaries, the run is the same under either CPU,
/// and a trace records them so that <c>replay</c> runs the binaries the way the recording did (docs/cli.md).
/// </summary>
public sealed class X86RunCpuOptionTests : IDisposable
{
    private readonly TraceFixture _files = new();

    public void Dispose() => _files.Dispose();

    private static string CPages => Path.Combine(CExamples.RepoRoot, "sim", "scenarios", "c-pages.scn");

    // Runs mk with the arguments; returns its exit code, stdout and the blocks the x86 images compiled.
    private static (int Code, string Out, string Err, int Blocks) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var images = new List<X86Program>();
        var app = new CliApp(output, error) { Booted = k => images.AddRange(k.Processes.Select(p => p.Image).OfType<X86Program>()) };
        int code = app.Invoke(args);
        return (code, output.ToString(), error.ToString(), images.Sum(i => i.BlocksTranslated));
    }

    [Fact]
    public void The_option_decides_how_the_binaries_run_and_the_run_is_the_same()
    {
        var interpreted = Run("run", CPages, "--cpu", "interpret");
        var translated = Run("run", CPages, "--cpu", "translate", "--translate-threshold", "0");
        var hot = Run("run", CPages, "--cpu", "translate", "--translate-threshold", "1000000000");

        interpreted.Code.ShouldBe(ExitCodes.Ok, interpreted.Err);
        interpreted.Blocks.ShouldBe(0);
        translated.Blocks.ShouldBeGreaterThan(0); // threshold 0: every block that ran was compiled
        hot.Blocks.ShouldBe(0);                   // no block of this short run ran a billion times
        translated.Out.ShouldBe(interpreted.Out);  // the whole account, event for event
        hot.Out.ShouldBe(interpreted.Out);
    }

    [Fact]
    public void A_trace_records_the_options_and_replay_runs_the_binaries_as_recorded()
    {
        string trace = _files.PathOf("c-pages.mktrace");
        var (code, _, err) = TraceFixture.Mk("run", CPages, "--cpu", "interpret", "--translate-threshold", "7", "--trace", trace);
        code.ShouldBe(ExitCodes.Ok, err);
        IReadOnlyDictionary<string, string?> options = TraceFixture.Read(trace).Header.Options;
        options["cpu"].ShouldBe("interpret");
        options["translate-threshold"].ShouldBe("7");

        var scenario = Sim.Tracing.TraceScenario.FromHeader(TraceFixture.Read(trace).Header);
        (scenario.Cpu, scenario.TranslationThreshold).ShouldBe((X86CpuMode.Interpret, 7));

        TraceFixture.Mk("replay", trace).Code.ShouldBe(ExitCodes.Ok);
        TraceFixture.Mk("replay", "--cpu", "translate", "--translate-threshold", "0", trace).Code.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void Without_the_options_the_trace_records_none()
    {
        string trace = _files.PathOf("plain.mktrace");
        TraceFixture.Mk("run", CPages, "--trace", trace).Code.ShouldBe(ExitCodes.Ok);
        IReadOnlyDictionary<string, string?> options = TraceFixture.Read(trace).Header.Options;
        options["cpu"].ShouldBeNull();
        options["translate-threshold"].ShouldBeNull();
        Sim.Tracing.TraceScenario.FromHeader(TraceFixture.Read(trace).Header).Cpu.ShouldBeNull(); // the scenario names none
    }

    [Theory]
    [InlineData("--cpu", "jit", "--cpu: expected interpret or translate, got 'jit'")]
    [InlineData("--translate-threshold", "-1", "--translate-threshold: expected an integer 0 or more, got '-1'")]
    [InlineData("--translate-threshold", "soon", "--translate-threshold: expected an integer 0 or more, got 'soon'")]
    public void A_bad_value_is_a_usage_error_before_the_run(string option, string value, string message)
    {
        var (code, output, err) = TraceFixture.Mk("run", CPages, option, value);
        code.ShouldBe(ExitCodes.Usage);
        output.ShouldBeEmpty();
        err.ShouldContain(message);
    }

    [Theory]
    [InlineData("cpu", "jit", "the trace's option cpu is 'jit', expected interpret or translate")]
    [InlineData("translate-threshold", "-5", "the trace's option translate-threshold is '-5', expected an integer 0 or more")]
    public void A_damaged_option_in_a_trace_is_refused_naming_it(string option, string value, string message)
    {
        string trace = _files.PathOf("c-pages.mktrace");
        TraceFixture.Mk("run", CPages, "--cpu", "interpret", "--translate-threshold", "7", "--trace", trace).Code.ShouldBe(ExitCodes.Ok);
        Sim.Tracing.TraceHeader header = TraceFixture.Read(trace).Header;
        var options = new Dictionary<string, string?>(header.Options) { [option] = value };
        var e = Should.Throw<Sim.Scenarios.ScenarioException>(() => Sim.Tracing.TraceScenario.FromHeader(header with { Options = options }));
        e.Field.ShouldBe(option);
        e.Message.ShouldContain(message);
    }
}
