using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// <c>--cpu interpret|translate</c> end to end: every committed gcc-built program runs the same under both CPUs, and a
/// trace recorded under one replays under the other with no divergence (same syscalls, same scheduling points).
/// </summary>
public sealed class X86CpuModeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mk-cpumode-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = new CliApp(stdout, stderr).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// Every ELF fixture of the C examples, the libc examples and the SSE2 examples (folder/name), but sweep: its runs
    /// take ten seconds each here, four runs a minute (LibcProgramTests runs it).
    /// </summary>
    public static TheoryData<string> Programs()
    {
        var data = new TheoryData<string>();
        foreach (string folder in new[] { "c", "libc", "c-sse2" })
        {
            string dir = Path.Combine(CExamples.RepoRoot, "userland", "examples", folder, "fixtures");
            foreach (string file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                if (Path.GetExtension(file).Length == 0 && !Path.GetFileName(file).StartsWith("sweep", StringComparison.Ordinal))
                    data.Add(folder + "/" + Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void A_run_recorded_under_one_cpu_replays_under_the_other(string program)
    {
        string[] parts = program.Split('/');
        string path = Path.Combine(CExamples.RepoRoot, "userland", "examples", parts[0], "fixtures", parts[1]);
        var runs = new List<(int Code, string Out)>();
        foreach ((string record, string replay) in new[] { ("interpret", "translate"), ("translate", "interpret") })
        {
            string trace = Path.Combine(_dir, $"{parts[1]}-{record}.mktrace");
            // 997 instructions a tick (a prime): scheduling points fall inside blocks, where the translator must step.
            (int code, string stdout, string stderr) = Mk("exec", "--cpu", record, "--instructions-per-tick", "997", "--max-ticks", "2000000", "--trace", trace, path);
            runs.Add((code, stdout));
            (int replayed, string replayOut, string replayErr) = Mk("replay", "--cpu", replay, trace);
            replayed.ShouldBe(0, $"recorded with --cpu {record}, replayed with --cpu {replay}:\n{replayOut}{replayErr}\n(the run: {stderr})");
        }
        runs[1].ShouldBe(runs[0]);
    }

    [Fact]
    public void Exec_refuses_an_unknown_cpu()
    {
        (int code, _, string stderr) = Mk("exec", "--cpu", "jit", CExamples.Fixture("hello"));
        code.ShouldBe(ExitCodes.Usage);
        stderr.ShouldContain("--cpu: expected interpret or translate, got 'jit'");
    }

    [Fact]
    public void Exec_under_translate_prints_what_the_interpreter_prints()
    {
        Mk("exec", "--cpu", "translate", CExamples.Fixture("sieve"), "1000").ShouldBe(Mk("exec", CExamples.Fixture("sieve"), "1000"));
    }

    [Fact]
    public void The_cpu_directive_picks_the_binaries_cpu()
    {
        string hello = CExamples.Fixture("hello");
        Scenario plain = ScenarioParser.Parse($"process p binary=\"{hello}\"\n", "test.scn", ScenarioRunner.Programs);
        plain.Cpu.ShouldBeNull(); // X86Program.DefaultCpuMode
        Scenario translated = ScenarioParser.Parse($"cpu translate\nprocess p binary=\"{hello}\"\n", "test.scn", ScenarioRunner.Programs);
        translated.Cpu.ShouldBe(X86CpuMode.Translate);
        ScenarioRunner.LoadBinary(translated, translated.Processes[0]).CpuMode.ShouldBe(X86CpuMode.Translate);
        Should.Throw<ScenarioException>(() => ScenarioParser.Parse($"cpu fast\nprocess p binary=\"{hello}\"\n", "test.scn", ScenarioRunner.Programs))
            .Message.ShouldContain("expected interpret or translate, got 'fast'");
    }
}
