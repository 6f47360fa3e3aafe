using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Lifecycle;

/// <summary>
/// An inline thread's life as <see cref="SimThread"/> runs it step by step (docs/architecture.md, "Threads without
/// host threads"), with bodies the test writes: a main that returns ends its process like C's main, the body hears
/// <see cref="ResumableBody.Ended"/> exactly once however its thread ended, and a killed thread that unwinds is not
/// taken for one that swallowed its termination.
/// </summary>
public class InlineBodyTests
{
    private const ulong Main = 0, Sleeper = 1, Spinner = 2;

    private static Kernel Boot() => new(new KernelConfig { Frames = 64, MaxTicks = 200_000, InlineThreads = true });

    // Main starts one thread running `worker`, yields to it, then returns 7; with `fault`, it first runs until preempted (so the
    // worker runs and is suspended at one of its points) and then loads from address 0, a fault that kills the process.
    private static (TestImage Image, List<CountingBody> Bodies) Program(ulong worker, bool fault = false)
    {
        var bodies = new List<CountingBody>();
        var image = new TestImage("inline")
        {
            Steps = (_, which) =>
            {
                var body = new CountingBody(which switch
                {
                    Main => (t, step) =>
                    {
                        if (step == 0)
                        {
                            t.Syscall((long)SyscallNumber.ThreadCreate, TestImage.ThreadEntry, worker).ShouldBeGreaterThan(0);
                            if (fault && !RunUntilSuspended(t)) return (false, 0);
                            if (!fault) t.Syscall((long)SyscallNumber.Yield); // the worker runs (and sleeps) first
                        }
                        if (fault) t.Load(0, new byte[8]);
                        return (true, 7);
                    }
                    ,
                    Sleeper => (t, _) => (true, t.Syscall((long)SyscallNumber.Sleep, 1000) == 0 ? 3 : -1),
                    _ => (t, _) => RunUntilSuspended(t) ? (true, 1) : (false, 0),
                });
                bodies.Add(body);
                return body;
            },
        };
        return (image, bodies);
    }

    // Instruction points until the thread is switched away (false: the step must return at once); true never comes.
    private static bool RunUntilSuspended(SimThread t)
    {
        while (t.SuspendableInstructionPoint()) { }
        return false;
    }

    [Fact]
    public void A_main_that_returns_ends_its_process_with_its_code_while_another_thread_sleeps()
    {
        using Kernel k = Boot();
        var (image, bodies) = Program(Sleeper);
        k.Spawn(image, "inline", out Process? p).ShouldBe(ErrorCode.Ok);
        var (r, log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        p!.ExitStatus.ShouldBe(7);
        r.Ticks.ShouldBeLessThan(1000, "the sleeper was killed, not waited for");
        log.Events.Where(e => e.Kind == EventKind.ThreadExit).Select(e => (e.Tid, e.Code)).ShouldBe([(1, 7L), (2, 7L)]);
        bodies.Count.ShouldBe(2);
        bodies[1].Steps.ShouldBe(1, "the sleeper ran into its sleep");
        bodies.ShouldAllBe(b => b.EndedCalls == 1);
        r.HostReports.ShouldBeEmpty(); // the killed sleeper unwound: it did not swallow its termination
    }

    [Fact]
    public void A_thread_suspended_at_an_instruction_point_when_its_process_faults_unwinds_once_and_is_not_reported()
    {
        using Kernel k = Boot();
        var (image, bodies) = Program(Spinner, fault: true);
        k.Spawn(image, "inline", out Process? p).ShouldBe(ErrorCode.Ok);
        var (r, log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        long status = 128 + (long)FaultReason.NotPresent;
        p!.ExitStatus.ShouldBe(status);
        p.Faults.ShouldHaveSingleItem().Address.ShouldBe(0UL);
        bodies.Count.ShouldBe(2);
        bodies[1].Steps.ShouldBeGreaterThan(0, "the spinner ran before main faulted");
        bodies.ShouldAllBe(b => b.EndedCalls == 1);
        log.Events.Where(e => e.Kind == EventKind.ThreadExit).Select(e => (e.Tid, e.Code)).ShouldBe([(1, status), (2, status)]);
        r.HostReports.ShouldBeEmpty();
    }
}
