using Iced.Intel;
using MicroKernel.Sim.Cli;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Tracing;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// Replay across CPUs for whole scenarios: preemptive multi-process runs of gcc-built C programs beside C# programs
/// (c-pages, c-shmem, c-rpc) and x86 threads preempted inside their loops. A run recorded under one CPU gives the same
/// events as under the other (the same trace, line for line) and replays under the other with no divergence.
/// (X86CpuModeTests does the same for every committed gcc program under exec.)
/// </summary>
public sealed class X86ScenarioCpuModeTests : IDisposable
{
    private readonly TraceFixture _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>The scenarios of sim/scenarios that run gcc-built fixtures beside C# programs.</summary>
    public static TheoryData<string> Scenarios => ["c-pages.scn", "c-shmem.scn", "c-rpc.scn"];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void A_scenario_recorded_under_one_cpu_replays_under_the_other(string scenario) =>
        RecordsTheSameAndReplaysAcross(Path.Combine(CExamples.RepoRoot, "sim", "scenarios", scenario));

    /// <summary>
    /// Two processes of x86 threads (main and three workers each, incrementing one counter in memory, spinning)
    /// and a C# program, preempted every 97 instructions: switches between x86 threads fall inside their loops,
    /// where the translated CPU must stop at the same instruction as the interpreter.
    /// </summary>
    [Fact]
    public void X86_threads_preempted_in_their_loops_replay_across_cpus()
    {
        string binary = _files.PathOf("threads");
        File.WriteAllBytes(binary, X86TestMachine.Assemble(Counters(workers: 3, adds: 1500, spin: 4000), FlatBinary.DefaultBase));
        string scenario = _files.PathOf("x86-threads.scn");
        File.WriteAllText(scenario, """
            name x86-threads
            memory 1024
            scheduler round-robin
            instructions-per-tick 97
            process one binary=threads
            process two binary=threads
            process cs program=hello
            expect process=one status=6000
            expect process=two status=6000
            """);
        string events = RecordsTheSameAndReplaysAcross(scenario);
        events.Split('\n').Count(l => l.Contains("thread_create", StringComparison.Ordinal)).ShouldBe(6);
    }

    // Records the scenario under each CPU (threshold 0 for the translator), checks that both traces hold the same
    // events, and replays each under the other CPU. Returns the events as trace show prints them.
    private string RecordsTheSameAndReplaysAcross(string scenario)
    {
        var shown = new List<string>();
        foreach ((X86CpuMode record, X86CpuMode replay) in new[] { (X86CpuMode.Interpret, X86CpuMode.Translate), (X86CpuMode.Translate, X86CpuMode.Interpret) })
        {
            X86CpuModes.Use(record);
            string trace = _files.PathOf($"{Path.GetFileNameWithoutExtension(scenario)}-{record}.mktrace");
            var (code, output, err) = TraceFixture.Mk("run", scenario, "--trace", trace);
            code.ShouldBe(ExitCodes.Ok, $"recorded under {record}:\n{output}{err}");
            (int replayed, string replayOut, string replayErr) = TraceFixture.Mk(["replay", .. X86CpuModes.CliOptions(replay), trace]);
            replayed.ShouldBe(ExitCodes.Ok, $"recorded under {record}, replayed under {replay}:\n{replayOut}{replayErr}");
            replayOut.ShouldContain("OK: all ");
            var show = TraceFixture.Mk("trace", "show", trace);
            show.Code.ShouldBe(ExitCodes.Ok, show.Err);
            shown.Add(show.Out);
        }
        shown[1].ShouldBe(shown[0], "the translated run must give the interpreter's events");
        return shown[0];
    }

    /// <summary>
    /// main starts <paramref name="workers"/> threads that each add 1 to a counter on main's stack
    /// <paramref name="adds"/> times, adds as many itself, spins <paramref name="spin"/> iterations, then exits with
    /// the counter ((workers + 1) * adds when every thread finished in time).
    /// </summary>
    private static Action<Assembler> Counters(int workers, int adds, int spin) => a =>
    {
        Label worker = a.CreateLabel(), create = a.CreateLabel(), add = a.CreateLabel(), wait = a.CreateLabel();
        a.sub(rsp, 16);
        a.mov(__qword_ptr[rsp], 0);
        a.mov(ebx, workers);
        a.Label(ref create);
        a.lea(rdi, __[worker]);
        a.mov(rsi, rsp);
        a.xor(edx, edx);
        a.mov(eax, (int)SyscallNumber.ThreadCreate);
        a.syscall();
        a.dec(ebx);
        a.jnz(create);
        a.mov(rdi, rsp);
        a.call(worker);
        a.mov(ecx, spin);
        a.Label(ref wait);
        a.dec(ecx);
        a.jnz(wait);
        a.mov(rdi, __qword_ptr[rsp]);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();

        a.Label(ref worker); // rdi = the counter's address
        a.mov(ecx, adds);
        a.Label(ref add);
        a.inc(__qword_ptr[rdi]);
        a.dec(ecx);
        a.jnz(add);
        a.xor(eax, eax);
        a.ret();
    };
}
