using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Lifecycle;

/// <summary>
/// How a thread's end is counted when its program fights it (<see cref="ThreadTerminatedException"/>), and what a
/// runaway's host thread may still do after the watchdog took its CPU: neither ends anything a second time.
/// </summary>
public class TerminationTests
{
    [Fact]
    public void An_old_generation_main_that_swallows_its_termination_and_returns_leaves_the_restarted_process_running()
    {
        using Kernel k = TestKernels.Boot();
        string? message = null;
        Process p = k.Spawn("stubborn", sys =>
        {
            if (sys.Generation > 0) return sys.Generation == 1 ? 0 : 99;
            try
            {
                sys.Memory.ReadUInt64(0); // a fault: the supervisor restarts the process, this thread must unwind
            }
            catch (ThreadTerminatedException e)
            {
                message = e.Message;
            }
            return 5; // returns normally instead: it still ends as killed, and the new generation goes on
        }, FaultPolicy.Restart);
        var (r, log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        message.ShouldBe("the simulated thread was terminated by the kernel");
        p.Restarts.ShouldBe(1);
        p.ExitStatus.ShouldBe(0, "generation 1 ran to its own end");
        r.HostReports.ShouldHaveSingleItem().ShouldContain("caught ThreadTerminatedException and returned normally");
        log.Events.Where(e => e.Kind == EventKind.ThreadExit).Select(e => e.Code).ShouldBe([128L, 0L]);
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_thread_killed_before_it_ever_ran_exits_with_its_processs_status_not_zero(bool inline)
    {
        // Main starts a thread and returns 7 at once: the thread is killed before it was ever dispatched.
        bool workerRan = false;
        var image = new TestImage("quick")
        {
            Body = inline ? null : (t, arg) => arg == 0 ? StartAndReturn(t) : Worker(),
            Steps = inline ? (_, arg) => new CountingBody((t, _) => (true, arg == 0 ? StartAndReturn(t) : Worker())) : null,
        };
        long StartAndReturn(SimThread t)
        {
            t.Syscall((long)Syscalls.SyscallNumber.ThreadCreate, TestImage.ThreadEntry, 1).ShouldBe(2);
            return 7;
        }
        long Worker()
        {
            workerRan = true;
            return 3;
        }
        using Kernel k = new(new KernelConfig { Frames = 64, InlineThreads = inline });
        k.Spawn(image, "quick", out Process? p).ShouldBe(Syscalls.ErrorCode.Ok);
        var (r, log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        workerRan.ShouldBeFalse();
        p!.ExitStatus.ShouldBe(7);
        log.Events.Where(e => e.Kind == EventKind.ThreadExit).Select(e => (e.Tid, e.Code)).ShouldBe([(1, 7L), (2, 7L)]);
        r.HostReports.ShouldBeEmpty();
    }

    [Fact]
    public void A_runaway_whose_program_throws_after_the_watchdog_took_its_cpu_is_not_faulted_or_ended_again()
    {
        using var release = new ManualResetEventSlim(false);
        using Kernel k = WatchedKernel();
        Process runaway = k.Spawn("runaway", sys =>
        {
            while (!release.IsSet) Thread.SpinWait(1000); // no scheduling point: the watchdog takes the CPU
            throw new InvalidOperationException("thrown once the test is over");
        });
        var (r, log) = k.RunLogged();
        release.Set();
        SpinWait.SpinUntil(() => k.LiveHostThreads == 0, TimeSpan.FromSeconds(30)).ShouldBeTrue();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        runaway.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.Runaway);
        ShouldHaveEndedOnce(log, runaway);
    }

    [Fact]
    public void A_runaway_image_that_fails_after_the_watchdog_took_its_cpu_is_not_a_kernel_panic()
    {
        using var release = new ManualResetEventSlim(false);
        using Kernel k = WatchedKernel();
        var image = new TestImage("runaway")
        {
            Body = (_, _) =>
            {
                while (!release.IsSet) Thread.SpinWait(1000);
                throw new InvalidOperationException("the interpreter gave up after the watchdog");
            },
        };
        k.Spawn(image, "runaway", out Process? runaway).ShouldBe(Syscalls.ErrorCode.Ok);
        var (r, log) = k.RunLogged();
        release.Set();
        SpinWait.SpinUntil(() => k.LiveHostThreads == 0, TimeSpan.FromSeconds(30)).ShouldBeTrue();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        runaway!.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.Runaway);
        ShouldHaveEndedOnce(log, runaway);
    }

    private static Kernel WatchedKernel() => new(new KernelConfig { Frames = 256, MaxTicks = 200_000, WatchdogSeconds = 0.2 });

    // The watchdog ended the runaway's thread and process once; what its host thread did afterwards added nothing.
    private static void ShouldHaveEndedOnce(EventLog log, Process runaway)
    {
        log.Events.Count(e => e.Kind == EventKind.Fault).ShouldBe(1);
        log.Events.Count(e => e.Kind == EventKind.ThreadExit && e.Pid == runaway.Pid).ShouldBe(1);
        log.Events.Count(e => e.Kind == EventKind.ProcessExit && e.Pid == runaway.Pid).ShouldBe(1);
        log.Events.ShouldNotContain(e => e.Kind == EventKind.Panic);
        runaway.State.ShouldBe(ProcessState.Exited);
    }
}
