using Iced.Intel;
using MicroKernel.Faults;
using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tests.X86;
using MicroKernel.Tracing;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// x86 threads without host threads (docs/architecture.md, "Threads without host threads"): an x86 thread is an inline
/// thread whose body a runner host thread steps, so a switch between two of them at an instruction point is a register
/// swap. Every run here is made twice, inline (the default) and with a host thread per simulated thread (the old path,
/// <see cref="KernelConfig.InlineThreads"/> = false), and the two event streams must be the same, event for event.
/// </summary>
public class InlineThreadTests
{
    /// <summary>These tests run their x86-64 programs on the interpreter (InlineThreadTranslatedTests: on the translator).</summary>
    public InlineThreadTests() : this(X86CpuMode.Interpret) { }

    /// <summary>These tests, with their x86-64 programs on <paramref name="cpu"/>.</summary>
    protected InlineThreadTests(X86CpuMode cpu) => X86CpuModes.Use(cpu);

    private static KernelConfig Config(bool inline, int instructionsPerTick = 50, FaultPlan? faults = null) => new()
    {
        Frames = 4096, InstructionsPerTick = instructionsPerTick, MaxTicks = 200_000, InlineThreads = inline,
        Faults = faults ?? FaultPlan.None,
    };

    private static X86Program Flat(Action<Assembler> build) =>
        X86Program.FromFlat("flat", FlatBinary.Create(X86TestMachine.Assemble(build, FlatBinary.DefaultBase), FlatBinary.DefaultBase));

    private static void Sys(Assembler a, SyscallNumber n)
    {
        a.mov(eax, (int)n);
        a.syscall();
    }

    /// <summary>
    /// main starts <paramref name="workers"/> threads that each add 1 to a counter on main's stack
    /// <paramref name="adds"/> times (inc is one instruction: preemption falls between two), spins
    /// <paramref name="spin"/> iterations, then exits with the counter. With <paramref name="workerFaults"/> the
    /// workers then store to address 0 (not mapped), a page fault of the process.
    /// </summary>
    private static X86Program Counters(int workers, int adds, int spin, bool workerFaults = false) => Flat(a =>
    {
        Label worker = a.CreateLabel(), create = a.CreateLabel(), add = a.CreateLabel(), wait = a.CreateLabel();
        a.sub(rsp, 16);
        a.mov(__qword_ptr[rsp], 0);
        a.mov(ebx, workers);
        a.Label(ref create);
        a.lea(rdi, __[worker]);
        a.mov(rsi, rsp);
        a.xor(edx, edx);
        Sys(a, SyscallNumber.ThreadCreate);
        a.dec(ebx);
        a.jnz(create);
        a.mov(ecx, spin);
        a.Label(ref wait);
        a.dec(ecx);
        a.jnz(wait);
        a.mov(rdi, __qword_ptr[rsp]);
        Sys(a, SyscallNumber.Exit);

        a.Label(ref worker); // rdi = the counter's address
        a.mov(ecx, adds);
        a.Label(ref add);
        a.inc(__qword_ptr[rdi]);
        a.dec(ecx);
        a.jnz(add);
        if (workerFaults) a.mov(__dword_ptr[0], ecx);
        a.xor(eax, eax);
        a.ret();
    });

    private sealed record Outcome(RunResult Result, string Trace, Kernel Kernel, IReadOnlyList<Process> Processes);

    private static Outcome Run(KernelConfig config, params (string Name, ProgramImage Image)[] programs)
    {
        var k = new Kernel(config);
        var processes = new List<Process>();
        foreach ((string name, ProgramImage image) in programs)
        {
            k.Spawn(image, name, out Process? p).ShouldBe(ErrorCode.Ok);
            processes.Add(p!);
        }
        (RunResult r, EventLog log) = k.RunLogged();
        k.Dispose();
        return new Outcome(r, string.Join("\n", log.Events), k, processes);
    }

    // The same programs, inline and on host threads: the same run, event for event.
    private static (Outcome Inline, Outcome Hosted) RunBoth(Func<bool, KernelConfig> config, Func<(string, ProgramImage)[]> programs)
    {
        Outcome inline = Run(config(true), programs());
        Outcome hosted = Run(config(false), programs());
        inline.Trace.ShouldBe(hosted.Trace);
        inline.Result.Outcome.ShouldBe(hosted.Result.Outcome);
        inline.Result.Switches.ShouldBe(hosted.Result.Switches);
        return (inline, hosted);
    }

    [Fact]
    public void Two_x86_threads_switch_at_instruction_points_on_one_runner_host_thread()
    {
        var (inline, hosted) = RunBoth(i => Config(i), () => [("two", Counters(workers: 1, adds: 3000, spin: 20_000))]);
        inline.Result.Outcome.ShouldBe(RunOutcome.Completed);
        inline.Processes[0].ExitStatus.ShouldBe(3000);
        // Both threads were preempted at instruction points many times, back and forth.
        inline.Trace.Split('\n').Count(l => l.Contains("preempt", StringComparison.Ordinal)).ShouldBeGreaterThan(20);
        // One host thread for two simulated threads (the runner), where each used to have its own.
        inline.Kernel.HostThreadsStarted.ShouldBe(1);
        hosted.Kernel.HostThreadsStarted.ShouldBe(2);
        inline.Kernel.LiveHostThreads.ShouldBe(0);
    }

    [Fact]
    public void Nine_x86_threads_need_no_host_thread_each()
    {
        var (inline, hosted) = RunBoth(i => Config(i), () => [("nine", Counters(workers: 8, adds: 2000, spin: 100_000))]);
        inline.Processes[0].ExitStatus.ShouldBe(8 * 2000);
        hosted.Kernel.HostThreadsStarted.ShouldBe(9);
        // main is preempted once inside a thread_create syscall (a switch inside the kernel): its kernel frames keep
        // the first runner while it waits, and a second runner serves the workers. No more than that for nine threads.
        inline.Kernel.HostThreadsStarted.ShouldBeInRange(1, 2);
    }

    [Fact]
    public void Kernel_entries_that_switch_park_the_inline_thread_on_its_runner_and_it_resumes_there()
    {
        // Every yield is a switch inside a syscall: the thread's kernel frames keep a runner until it runs again.
        static X86Program Yielder(int n) => Flat(a =>
        {
            Label loop = a.CreateLabel();
            a.mov(ebx, n);
            a.Label(ref loop);
            Sys(a, SyscallNumber.Yield);
            a.dec(ebx);
            a.jnz(loop);
            a.mov(edi, 5);
            Sys(a, SyscallNumber.Exit);
        });
        var (inline, _) = RunBoth(i => Config(i), () => [("a", Yielder(200)), ("b", Yielder(200))]);
        inline.Processes.ShouldAllBe(p => p.ExitStatus == 5);
        inline.Trace.Split('\n').Count(l => l.Contains("yield", StringComparison.Ordinal)).ShouldBeGreaterThan(300);
        inline.Kernel.HostThreadsStarted.ShouldBe(2); // one runner parked in each thread's yield
        inline.Kernel.LiveHostThreads.ShouldBe(0);
    }

    [Fact]
    public void An_x86_thread_and_a_csharp_thread_ping_pong_exactly_as_with_host_threads()
    {
        static X86Program X86Yielder() => Flat(a =>
        {
            Label loop = a.CreateLabel(), spin = a.CreateLabel();
            a.mov(ebx, 100);
            a.Label(ref loop);
            Sys(a, SyscallNumber.Yield);
            a.mov(ecx, 300); // and some instructions, so that some switches are preemptions at instruction points
            a.Label(ref spin);
            a.dec(ecx);
            a.jnz(spin);
            a.dec(ebx);
            a.jnz(loop);
            a.mov(edi, 3);
            Sys(a, SyscallNumber.Exit);
        });
        static ProgramImage CSharpYielder() => new ManagedProgram("cs", () => new YieldingProgram(100));
        var (inline, hosted) = RunBoth(i => Config(i), () => [("x86", X86Yielder()), ("cs", CSharpYielder())]);
        inline.Result.Outcome.ShouldBe(RunOutcome.Completed);
        inline.Processes[0].ExitStatus.ShouldBe(3);
        inline.Processes[1].ExitStatus.ShouldBe(4);
        // The CPU went back and forth between the two processes.
        string[] switches = [.. inline.Trace.Split('\n').Where(l => l.Contains("Switch", StringComparison.Ordinal))];
        switches.Length.ShouldBeGreaterThan(150);
        // The C# thread keeps its host thread; the x86 thread has none of its own (runners: the first, and the one that
        // serves it while the first is parked in a yield).
        hosted.Kernel.HostThreadsStarted.ShouldBe(2);
        inline.Kernel.HostThreadsStarted.ShouldBeInRange(2, 3);
    }

    [Theory]
    [InlineData("kill pid=1 tick=40", 137L, null)]
    [InlineData("crash pid=1 tick=40", 141L, FaultReason.Injected)]
    public void A_fault_rule_ends_an_inline_x86_thread_and_its_suspended_sibling(string rule, long status, FaultReason? reason)
    {
        var (inline, _) = RunBoth(i => Config(i, faults: FaultPlan.Parse([rule])),
            () => [("victim", Counters(workers: 1, adds: 100_000, spin: 100_000)), ("other", Counters(workers: 1, adds: 100, spin: 1000))]);
        inline.Result.Outcome.ShouldBe(RunOutcome.Completed);
        Process victim = inline.Processes[0];
        victim.ExitStatus.ShouldBe(status);
        victim.Faults.Select(f => (FaultReason?)f.Reason).SingleOrDefault().ShouldBe(reason);
        inline.Processes[1].ExitStatus.ShouldBe(100);
        inline.Kernel.ShouldBalance();
    }

    [Fact]
    public void A_page_fault_of_an_inline_x86_thread_kills_its_process_and_the_suspended_main_thread_unwinds()
    {
        var (inline, _) = RunBoth(i => Config(i), () => [("faulty", Counters(workers: 1, adds: 500, spin: 100_000, workerFaults: true))]);
        Process p = inline.Processes[0];
        FaultRecord fault = p.Faults.ShouldHaveSingleItem();
        fault.Address.ShouldBe(0UL);
        fault.Access.ShouldBe(AccessKind.Write);
        fault.Tid.ShouldBe(2); // the worker
        p.ExitStatus.ShouldBe(fault.ExitStatus);
        p.ThreadList.ShouldBeEmpty();
        inline.Kernel.ShouldBalance();
    }

    [Fact]
    public void A_deadlock_of_x86_threads_parked_in_the_kernel_ends_and_leaves_no_host_thread()
    {
        // Each joins the other: both park inside thread_join on a runner's stack; the deadlock kills the process.
        X86Program program = Flat(a =>
        {
            Label worker = a.CreateLabel();
            Sys(a, SyscallNumber.GetTid);
            a.mov(rsi, rax);
            a.lea(rdi, __[worker]);
            a.xor(edx, edx);
            Sys(a, SyscallNumber.ThreadCreate);
            a.mov(rdi, rax);
            Sys(a, SyscallNumber.ThreadJoin);
            Sys(a, SyscallNumber.Exit);
            a.Label(ref worker); // rdi = main's tid
            Sys(a, SyscallNumber.ThreadJoin);
            a.ret();
        });
        var (inline, _) = RunBoth(i => Config(i), () => [("knot", program)]);
        inline.Result.Outcome.ShouldBe(RunOutcome.Deadlock);
        inline.Processes[0].ExitStatus.ShouldBe(Kernel.KilledStatus);
        inline.Kernel.LiveHostThreads.ShouldBe(0);
    }

    [Fact]
    public void A_kernel_that_never_ran_has_no_host_thread_for_its_x86_threads_and_disposes_cleanly()
    {
        var k = new Kernel(Config(true));
        for (int i = 0; i < 3; i++) k.Spawn(Counters(1, 10, 10), $"p{i}", out Process? _).ShouldBe(ErrorCode.Ok);
        k.HostThreadsStarted.ShouldBe(0);
        k.LiveHostThreads.ShouldBe(0);
        k.Dispose();
        k.LiveHostThreads.ShouldBe(0);
    }

    [Fact]
    public void The_watchdog_takes_the_cpu_from_a_csharp_runaway_and_hands_it_to_x86_threads_on_a_runner()
    {
        using var release = new ManualResetEventSlim(false);
        var k = new Kernel(Config(true) with { WatchdogSeconds = 0.2 });
        Process runaway = k.Spawn("runaway", sys =>
        {
            // A pure C# loop: no syscall, no user memory (it stops once the test is over).
            while (!release.IsSet) Thread.SpinWait(1000);
            sys.Yield(); // refused: the watchdog took the CPU; the thread unwinds
            return 0;
        });
        k.Spawn(Counters(workers: 2, adds: 1000, spin: 10_000), "x86", out Process? x86).ShouldBe(ErrorCode.Ok);
        RunResult r = k.Run();
        release.Set();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        r.Deterministic.ShouldBeFalse();
        runaway.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.Runaway);
        x86!.ExitStatus.ShouldBe(2000);
        k.HostThreadsStarted.ShouldBe(2); // the runaway's own, and one runner for the three x86 threads
        k.ShouldBalance();
        SpinWait.SpinUntil(() => k.LiveHostThreads == 0, TimeSpan.FromSeconds(30)).ShouldBeTrue();
        k.Dispose();
    }

    [Fact]
    public void Every_x86_scenario_gives_the_same_trace_inline_and_on_host_threads()
    {
        foreach (string name in new[] { "c-pages", "c-rpc", "c-shmem" })
        {
            Sim.Scenarios.Scenario s = Sim.Scenarios.ScenarioRunner.Load(Path.Combine(CExamples.RepoRoot, "sim", "scenarios", name + ".scn"));
            string RunScenario(bool inline)
            {
                var log = new EventLog();
                Kernel k = Sim.Scenarios.ScenarioRunner.Boot(s with { Config = s.Config with { InlineThreads = inline } }, [log]);
                k.Run();
                k.Dispose();
                return string.Join("\n", log.Events) + "\n" + k.ConsoleOutput;
            }
            RunScenario(true).ShouldBe(RunScenario(false), name);
        }
    }

    private sealed class YieldingProgram(int n) : UserProgram
    {
        public override long Main(Sys sys)
        {
            for (int i = 0; i < n; i++) sys.Yield();
            return 4;
        }
    }
}
