using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Tracing;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// sim/scenarios/c-shmem.scn: the seed's UsesShmem protocol between C# and C (userland/examples/c/shmem.c, run from
/// its committed fixture) in both directions, each child ending with a use after send that faults. The run records
/// and replays (full and trace-driven) with zero divergence.
/// </summary>
public class X86ShmemScenarioTests : IDisposable
{
    /// <summary>These tests run their x86-64 programs on the interpreter (X86ShmemScenarioTranslatedTests: on the translator).</summary>
    public X86ShmemScenarioTests() : this(X86CpuMode.Interpret) { }

    /// <summary>These tests, with their x86-64 programs on <paramref name="cpu"/>.</summary>
    protected X86ShmemScenarioTests(X86CpuMode cpu) => X86CpuModes.Use(cpu);

    private static readonly string ScenarioPath = Path.Combine(CExamples.RepoRoot, "sim", "scenarios", "c-shmem.scn");

    private readonly string _dir = Directory.CreateTempSubdirectory("mk-cshmem-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void C_and_csharp_pass_a_segment_both_ways_and_an_x86_use_after_send_faults_naming_the_segment()
    {
        Kernel k = ScenarioRunner.Boot(ScenarioRunner.Load(ScenarioPath));
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        string console = string.Concat(log.Events.Where(e => e.Kind == EventKind.Console).Select(e => e.Text));
        console.ShouldContain("C child: GiveAndGetBack returned 42; the segment says 'the parent had it back'\n");
        console.ShouldContain("C parent: a second send is refused: AlreadySent (the segment is in flight)\n");
        console.ShouldContain("C parent: ThanksDone, the segment says 'thanks from the child'\n");
        console.ShouldNotContain("(wrong)");
        Process cchild = k.FindProcess(2)!;
        FaultRecord f = cchild.Faults.ShouldHaveSingleItem();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        f.Access.ShouldBe(AccessKind.Write);
        f.Detail.ShouldStartWith("shmem segment 1 of connection 1 (pids 1 and 2), owned by pid 1; ");
        f.Detail.ShouldMatch(@"mov qword \[r[a-z0-9]+\],1", "the x86 report keeps the instruction (its register is gcc's choice)");
        k.FindProcess(4)!.Faults.ShouldHaveSingleItem().Detail.ShouldBe("shmem segment 2 of connection 2 (pids 3 and 4), owned by pid 3");
        k.Frames.UserCount.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void The_run_records_and_replays_both_ways()
    {
        string trace = Path.Combine(_dir, "c-shmem.mktrace");
        Mk("run", ScenarioPath, "--trace", trace).Code.ShouldBe(ExitCodes.Ok);
        var (code, stdout, stderr) = Mk("replay", trace);
        code.ShouldBe(ExitCodes.Ok, stdout + stderr);
        stdout.ShouldContain("OK: all ");
        (code, stdout, stderr) = Mk("replay", "--syscalls-only", trace);
        code.ShouldBe(ExitCodes.Ok, stdout + stderr);
        stdout.ShouldContain("every result as recorded");
        stdout.ShouldNotContain("note:");
    }

    private static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = new CliApp(stdout, stderr).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
