using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Tests.Tracing;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// The translation threshold of x86-64 programs end to end: <see cref="X86Program.TranslationThreshold"/>, the
/// scenario directive <c>translate-threshold N</c>, and the <c>--translate-threshold N</c> option of exec and replay
/// (docs/x86.md, "The block translator"). Threshold 0 compiles every block the first time it runs, so that even a
/// short program runs translated code; the default leaves code that runs a few hundred times interpreted.
/// </summary>
public sealed class X86TranslateThresholdTests : IDisposable
{
    private readonly TraceFixture _files = new();

    public void Dispose() => _files.Dispose();

    // Runs the sieve (1000) with the image's settings; returns the image (its blocks compiled) and the process.
    private static (X86Program Image, Process Process) RunSieve(X86CpuMode mode, int? threshold)
    {
        using var kernel = new Kernel(new KernelConfig { Frames = 4096, InstructionsPerTick = 997 });
        X86Program image = X86Program.FromBytes("sieve", CExamples.FixtureBytes("sieve"));
        image.CpuMode = mode;
        if (threshold is { } n) image.TranslationThreshold = n;
        kernel.Spawn(image, "sieve", out Process? p, arguments: ["1000"]).ShouldBe(Syscalls.ErrorCode.Ok);
        kernel.Run().Outcome.ShouldBe(RunOutcome.Completed);
        p!.ExitStatus.ShouldBe(0);
        return (image, p);
    }

    [Fact]
    public void The_threshold_decides_how_much_of_a_short_program_is_compiled()
    {
        var image = X86Program.FromBytes("sieve", CExamples.FixtureBytes("sieve"));
        image.TranslationThreshold.ShouldBe(X86Cpu.DefaultTranslationThreshold);
        image.CpuMode.ShouldBe(X86Program.DefaultCpuMode);
        Should.Throw<ArgumentOutOfRangeException>(() => image.TranslationThreshold = -1);

        RunSieve(X86CpuMode.Interpret, 0).Image.BlocksTranslated.ShouldBe(0); // the interpreter compiles nothing
        int atOnce = RunSieve(X86CpuMode.Translate, 0).Image.BlocksTranslated;
        int hot = RunSieve(X86CpuMode.Translate, 100).Image.BlocksTranslated;
        int never = RunSieve(X86CpuMode.Translate, 1_000_000_000).Image.BlocksTranslated;
        atOnce.ShouldBeGreaterThan(hot); // every block that ran, against those that ran more than 100 times
        hot.ShouldBeGreaterThan(0);      // the sieve's inner loops
        never.ShouldBe(0);
    }

    [Fact]
    public void The_scenario_directive_sets_the_threshold_of_its_binaries()
    {
        string hello = CExamples.Fixture("hello");
        Scenario plain = ScenarioParser.Parse($"process p binary=\"{hello}\"\n", "t.scn", ScenarioRunner.Programs);
        plain.TranslationThreshold.ShouldBeNull();
        ScenarioRunner.LoadBinary(plain, plain.Processes[0]).TranslationThreshold.ShouldBe(X86Cpu.DefaultTranslationThreshold);

        Scenario set = ScenarioParser.Parse($"cpu translate\ntranslate-threshold 0\nprocess p binary=\"{hello}\"\n", "t.scn", ScenarioRunner.Programs);
        set.TranslationThreshold.ShouldBe(0);
        X86Program image = ScenarioRunner.LoadBinary(set, set.Processes[0]);
        (image.CpuMode, image.TranslationThreshold).ShouldBe((X86CpuMode.Translate, 0));
    }

    [Theory]
    [InlineData("translate-threshold -1", "out of range")]
    [InlineData("translate-threshold soon", "expected an integer")]
    [InlineData("translate-threshold 1\ntranslate-threshold 2", "given twice")]
    public void Bad_thresholds_are_refused_naming_the_field(string line, string problem)
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioParser.Parse(line + "\nprocess a program=hello\n", "t.scn", ScenarioRunner.Programs));
        e.Field.ShouldBe("translate-threshold");
        e.Message.ShouldContain(problem);
    }

    [Fact]
    public void Exec_records_its_cpu_and_threshold_and_replay_can_change_both()
    {
        string trace = _files.PathOf("sieve.mktrace");
        string sieve = CExamples.Fixture("sieve");
        var (code, output, err) = TraceFixture.Mk("exec", "--cpu", "translate", "--translate-threshold", "0", "--trace", trace, sieve, "1000");
        (code, output).ShouldBe((0, "primes below 1000: 168\n"), err);
        TraceFixture.Read(trace).Header.ScenarioText.ShouldContain("cpu translate\ntranslate-threshold 0\nprocess sieve binary=");
        TraceFixture.Mk("replay", trace).Code.ShouldBe(ExitCodes.Ok);
        TraceFixture.Mk("replay", "--cpu", "interpret", trace).Code.ShouldBe(ExitCodes.Ok);
        TraceFixture.Mk("replay", "--translate-threshold", "5", trace).Code.ShouldBe(ExitCodes.Ok);

        string plain = _files.PathOf("plain.mktrace");
        TraceFixture.Mk("exec", "--trace", plain, sieve, "1000").Code.ShouldBe(0);
        string text = TraceFixture.Read(plain).Header.ScenarioText;
        text.ShouldNotContain("cpu "); // no --cpu: the scenario names no CPU, so replay takes the default
        text.ShouldNotContain("translate-threshold");
    }

    [Theory]
    [InlineData("exec", "-1")]
    [InlineData("exec", "many")]
    [InlineData("replay", "-3")]
    public void A_bad_threshold_option_is_a_usage_error(string command, string value)
    {
        var (code, output, err) = TraceFixture.Mk(command, "--translate-threshold", value, CExamples.Fixture("hello"));
        code.ShouldBe(ExitCodes.Usage);
        output.ShouldBeEmpty();
        err.ShouldContain($"--translate-threshold: expected an integer 0 or more, got '{value}'");
    }
}
