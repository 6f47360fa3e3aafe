using Iced.Intel;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Tracing;
using MicroKernel.Tests.X86;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.Cli;

/// <summary>
/// <c>--check end|syscall|tick</c> on <c>mk run</c> and <c>mk exec</c>: a clean run passes every level with the same
/// output; a broken invariant is a kernel panic (exit 5) whose report names it, the event and the tick.
/// </summary>
public sealed class CheckCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mk-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Mk(string[] args, Action<Kernel>? booted = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error) { Booted = booted }.Invoke(args);
        return (code, output.ToString(), error.ToString());
    }

    // The planted bug: one reference too many on the first user frame of pid 1, before the run starts.
    private static void ExtraReference(Kernel k)
    {
        ulong frame = k.FindProcess(1)!.AddressSpace.UserFrames().First().Frame;
        k.Frames.AddRef(frame);
    }

    public static TheoryData<string> BuiltIns => new(ScenarioRunner.BuiltInNames);

    [Theory]
    [MemberData(nameof(BuiltIns))]
    public void Every_built_in_scenario_passes_check_tick_with_the_same_output(string scenario)
    {
        var plain = Mk(["run", scenario]);
        var checkedRun = Mk(["run", scenario, "--check", "tick"]);
        checkedRun.Code.ShouldNotBe(ExitCodes.Panic, checkedRun.Out);
        checkedRun.ShouldBe(plain);
        checkedRun.Out.ShouldContain("invariants: all 11 hold");
    }

    [Fact]
    public void Run_check_syscall_stops_at_the_first_syscall_after_the_bug_and_names_the_invariant()
    {
        var (code, output, _) = Mk(["run", "demo", "--check", "syscall"], ExtraReference);
        code.ShouldBe(ExitCodes.Panic);
        output.ShouldMatch(@"KERNEL PANIC: kernel panic at tick (\d+), event #(\d+), on tid 1 \(pid 1\): InvariantViolationException: invariant frame-accounting broken after syscall \w+ of tid 1 \(\w+/main\) \(after event #\d+, tick \d+\): frame \d+ has 2 references but 1 mappings and 0 IPC pins");
    }

    [Fact]
    public void Run_with_the_default_level_finds_the_same_bug_only_at_the_end()
    {
        var (code, output, _) = Mk(["run", "demo"], ExtraReference);
        code.ShouldBe(ExitCodes.Panic);
        output.ShouldContain("InvariantViolationException: invariant frame-accounting broken at the end of the run");
        output.ShouldContain("is a user frame that nothing maps (leaked)");
        // The same run with the level named (the host stack in the report differs: it holds this test's lines).
        static string BeforeStack(string text) => text[..text.IndexOf("kernel stack:", StringComparison.Ordinal)];
        BeforeStack(Mk(["run", "demo", "--check", "end"], ExtraReference).Out).ShouldBe(BeforeStack(output));
    }

    [Fact]
    public void The_level_is_recorded_in_the_trace_and_replay_checks_at_the_same_points()
    {
        using var f = new TraceFixture();
        string path = f.PathOf("checked.mktrace");
        TraceFixture.Mk("run", "demo", "--check", "tick", "--trace", path).Code.ShouldBe(ExitCodes.Ok);
        TraceFixture.Read(path).Header.Options[TraceHeader.CheckOption].ShouldBe("tick");
        TraceFixture.Read(path).Header.Config["Check"].ShouldBe("Tick");
        TraceFixture.Mk("replay", path).Code.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void A_bad_check_level_is_refused_before_the_run()
    {
        var (code, output, err) = Mk(["run", "demo", "--check", "sometimes"]);
        code.ShouldNotBe(ExitCodes.Ok);
        output.ShouldNotContain("scenario 'demo'");
        err.ShouldContain("sometimes");
    }

    [Theory]
    [InlineData(X86CpuMode.Interpret)]
    [InlineData(X86CpuMode.Translate)]
    public void Exec_takes_check_too(X86CpuMode cpu)
    {
        X86CpuModes.Use(cpu);
        string path = Path.Combine(_dir, "hello");
        File.WriteAllBytes(path, X86TestMachine.Assemble(a =>
        {
            Label message = a.CreateLabel();
            a.mov(eax, (int)SyscallNumber.Write);
            a.lea(rdi, __[message]);
            a.mov(esi, 3);
            a.syscall();
            a.mov(edi, 0);
            a.mov(eax, (int)SyscallNumber.Exit);
            a.syscall();
            a.Label(ref message);
            a.db("hi\n"u8.ToArray());
        }, 0x400000));
        Mk(["exec", "--check", "tick", path]).ShouldBe((0, "hi\n", ""));
        var (code, _, err) = Mk(["exec", "--check", "syscall", path], ExtraReference);
        code.ShouldBe(ExitCodes.Panic);
        err.ShouldContain("invariant frame-accounting broken after syscall write of tid 1");
        var (endCode, _, endErr) = Mk(["exec", path], ExtraReference);
        endCode.ShouldBe(ExitCodes.Panic);
        endErr.ShouldContain("invariant frame-accounting broken at the end of the run");
    }
}
