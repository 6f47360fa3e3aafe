using MicroKernel.Invariants;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Core;

/// <summary>
/// Where the kernel runs its invariant catalogue (<see cref="KernelConfig.Check"/>): <c>end</c> once when the run ends,
/// <c>syscall</c> after every syscall too, <c>tick</c> at every scheduling point too; a violation is a panic whose report
/// says where it was caught, on which thread, after which event.
/// </summary>
public sealed class CheckPointTests
{
    // A program that leaks a user frame (taken behind the kernel's back, mapped nowhere: frame-accounting breaks), then
    // makes `after`'s syscalls.
    private static (Kernel Kernel, Process Process) Leaker(CheckLevel check, Action<Sys> after)
    {
        var k = new Kernel(new KernelConfig { Frames = 256, MaxTicks = 100_000, Check = check });
        Process p = k.Spawn("leaker", sys =>
        {
            sys.Syscall(SyscallNumber.GetPid);
            k.Frames.TryAllocate(FrameUse.User, out ulong _).ShouldBeTrue();
            after(sys);
            return 0;
        });
        return (k, p);
    }

    private static InvariantViolationException Violation(RunResult r)
    {
        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("frame-accounting");
        return e;
    }

    [Fact]
    public void At_the_end_level_a_violation_is_caught_when_the_run_ends_on_no_thread()
    {
        (Kernel k, Process p) = Leaker(CheckLevel.End, sys => sys.Yield());
        (RunResult r, EventLog log) = k.RunLogged();
        InvariantViolationException e = Violation(r);
        e.Where.ShouldBe("at the end of the run");
        PanicReport panic = r.Panic!;
        (panic.Pid, panic.Tid).ShouldBe((0, 0));
        // The check ran after the last event, and its panic is the event after that one.
        KernelEvent last = log.Events[^2], panicEvent = log.Events[^1];
        (last.Kind, last.Pid, last.Code).ShouldBe((EventKind.ProcessExit, p.Pid, 0L));
        panicEvent.Kind.ShouldBe(EventKind.Panic);
        (panicEvent.Pid, panicEvent.Tid).ShouldBe((0, 0));
        e.Seq.ShouldBe(last.Seq);
        panic.Seq.ShouldBe(panicEvent.Seq);
        panic.Tick.ShouldBe(r.Ticks);
        // The program had ended normally: the panic at the end blames nobody and changes no exit status.
        p.ExitStatus.ShouldBe(0);
        p.Faults.ShouldBeEmpty();
        panic.ToString().ShouldStartWith($"kernel panic at tick {r.Ticks}, event #{panicEvent.Seq}: InvariantViolationException: invariant frame-accounting broken at the end of the run");
    }

    [Fact]
    public void A_panic_when_nothing_listens_names_no_event_and_no_thread()
    {
        (Kernel k, _) = Leaker(CheckLevel.End, sys => sys.Yield());
        RunResult r = k.Run();
        InvariantViolationException e = Violation(r);
        e.Seq.ShouldBeNull();
        r.Panic!.Seq.ShouldBeNull();
        r.Panic.ToString().ShouldStartWith($"kernel panic at tick {r.Ticks}: InvariantViolationException: invariant frame-accounting broken at the end of the run (tick {r.Ticks}):");
        r.Panic.ToString().ShouldContain("\nkernel stack:\n");
    }

    [Fact]
    public void At_the_syscall_level_a_violation_is_caught_after_the_syscall_that_follows_it()
    {
        (Kernel k, Process p) = Leaker(CheckLevel.Syscall, sys =>
        {
            sys.Yield();
            sys.Syscall(SyscallNumber.GetPid);
        });
        (RunResult r, EventLog log) = k.RunLogged();
        InvariantViolationException e = Violation(r);
        e.Where.ShouldBe("after syscall yield of tid 1 (leaker/main)");
        (r.Panic!.Pid, r.Panic.Tid).ShouldBe((p.Pid, 1));
        // After the yield's exit event: the getpid never ran.
        KernelEvent exit = log.Events.Last(x => x.Kind == EventKind.SyscallExit);
        exit.Code.ShouldBe((long)SyscallNumber.Yield);
        e.Seq.ShouldBe(exit.Seq);
        log.Events.Single(x => x.Kind == EventKind.Panic).Seq.ShouldBe(exit.Seq + 1);
        r.Panic.ToString().ShouldContain($", on tid 1 (pid {p.Pid}): InvariantViolationException:");
    }

    [Fact]
    public void At_the_syscall_level_an_unknown_syscall_is_named_by_its_number()
    {
        (Kernel k, _) = Leaker(CheckLevel.Syscall, sys => sys.Syscall((SyscallNumber)250));
        InvariantViolationException e = Violation(k.Run());
        e.Where.ShouldBe("after syscall 250 of tid 1 (leaker/main)");
    }

    [Fact]
    public void At_the_tick_level_a_violation_is_caught_at_the_next_scheduling_point()
    {
        (Kernel k, _) = Leaker(CheckLevel.Tick, sys => sys.Yield());
        InvariantViolationException e = Violation(k.Run());
        e.Where.ShouldBe("at a scheduling point of tid 1 (leaker/main)");
    }

    [Fact]
    public void At_the_tick_level_a_compute_loop_is_checked_without_a_syscall()
    {
        var k = new Kernel(new KernelConfig { Frames = 256, MaxTicks = 100_000, Check = CheckLevel.Tick });
        int reads = 0;
        k.Spawn("computes", sys =>
        {
            ulong page = sys.Map(4096);
            k.Frames.TryAllocate(FrameUse.User, out ulong _).ShouldBeTrue();
            for (int i = 0; i < 1000; i++)
            {
                sys.Memory.ReadUInt64(page);
                reads++;
            }
            return 0;
        });
        InvariantViolationException e = Violation(k.Run());
        e.Where.ShouldBe("at a scheduling point of tid 1 (computes/main)");
        reads.ShouldBeLessThanOrEqualTo(k.Config.AccessesPerTick); // caught at the loop's first scheduling point
    }

    [Fact]
    public void At_the_end_and_syscall_levels_a_compute_loop_runs_to_its_end()
    {
        foreach (CheckLevel level in new[] { CheckLevel.End, CheckLevel.Syscall })
        {
            var k = new Kernel(new KernelConfig { Frames = 256, MaxTicks = 100_000, Check = level });
            int reads = 0;
            k.Spawn("computes", sys =>
            {
                ulong page = sys.Map(4096);
                k.Frames.TryAllocate(FrameUse.User, out ulong _).ShouldBeTrue();
                for (int i = 0; i < 1000; i++)
                {
                    sys.Memory.ReadUInt64(page);
                    reads++;
                }
                return 0;
            });
            InvariantViolationException e = Violation(k.Run());
            reads.ShouldBe(1000);
            e.Where.ShouldBe("at the end of the run");
        }
    }

    [Fact]
    public void A_sound_run_passes_every_check_point()
    {
        foreach (CheckLevel level in new[] { CheckLevel.End, CheckLevel.Syscall, CheckLevel.Tick })
        {
            var k = new Kernel(new KernelConfig { Frames = 256, MaxTicks = 100_000, Check = level });
            k.Spawn("sound", sys =>
            {
                ulong page = sys.Map(8192);
                for (int i = 0; i < 300; i++) sys.Memory.WriteUInt64(page + (ulong)(i % 1000) * 8, (ulong)i);
                sys.Unmap(page, 8192);
                return 0;
            });
            RunResult r = k.Run();
            r.Outcome.ShouldBe(RunOutcome.Completed);
            r.Panic.ShouldBeNull();
            k.FindViolations().ShouldBeEmpty();
            k.CheckInvariants().ShouldBeEmpty();
        }
    }
}
