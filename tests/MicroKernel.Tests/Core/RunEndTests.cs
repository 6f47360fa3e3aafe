using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Core;

/// <summary>
/// How a run ends and what its <see cref="RunResult"/> says: the outcome, virtual time, switches, every process with
/// its exit status, the deadlock report; the events each ending emits, and what happens to the threads of a process
/// whose other threads exit, wait or are joined.
/// </summary>
public sealed class RunEndTests
{
    [Fact]
    public void A_completed_run_reports_its_time_its_switches_and_every_process_in_pid_order()
    {
        var k = TestKernels.Boot();
        var log = new EventLog();
        k.AddSink(log); // before the spawns: their events too
        Process a = k.Spawn("a", sys =>
        {
            for (int i = 0; i < 3; i++) sys.Yield();
            return 5;
        });
        Process b = k.Spawn("b", sys =>
        {
            for (int i = 0; i < 3; i++) sys.Yield();
            return 6;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        r.Ticks.ShouldBe(k.Scheduler.Now);
        r.Ticks.ShouldBeGreaterThan(5);
        r.Switches.ShouldBe(k.Scheduler.Switches);
        r.Switches.ShouldBeGreaterThan(5);
        r.Processes.Select(p => (p.Name, p.State, p.ExitStatus)).ShouldBe([("a", ProcessState.Exited, 5L), ("b", ProcessState.Exited, 6L)]);
        r.DeadlockReport.ShouldBeNull();
        r.Panic.ShouldBeNull();
        r.HostReports.ShouldBeEmpty();
        r.Deterministic.ShouldBeTrue();

        // Each switch names the thread that leaves (pid, tid), the one that comes (A0 its tid, A1 its pid) and why.
        List<KernelEvent> switches = [.. log.Events.Where(e => e.Kind == EventKind.Switch)];
        switches.ShouldNotBeEmpty();
        // The yields, and a's end (then b runs alone).
        switches.Where(e => e.Text != "yield").ShouldHaveSingleItem().Text.ShouldBe("exit");
        KernelEvent first = switches[0];
        (first.Pid, first.Tid, first.A0, first.A1).ShouldBe((a.Pid, 1, 2UL, (ulong)b.Pid));
        KernelEvent second = switches[1];
        (second.Pid, second.Tid, second.A0, second.A1).ShouldBe((b.Pid, 2, 1UL, (ulong)a.Pid));

        // Each process: started, its thread started, ended, then the process ended with the thread's code.
        foreach (Process p in new[] { a, b })
        {
            List<KernelEvent> own = [.. log.Events.Where(e => e.Pid == p.Pid && e.Kind is not (EventKind.SyscallEnter or EventKind.SyscallExit or EventKind.Switch))];
            own.Select(e => e.Kind).ShouldBe([EventKind.ProcessStart, EventKind.ThreadStart, EventKind.ThreadExit, EventKind.ProcessExit]);
            own[0].Text.ShouldBe(p.Name);
            own[1].Text.ShouldBe("main");
            own[2].Code.ShouldBe(p.ExitStatus);
            own[3].Code.ShouldBe(p.ExitStatus);
        }
    }

    [Fact]
    public void A_deadlock_is_reported_with_every_blocked_thread_and_its_processes_are_killed()
    {
        var k = TestKernels.Boot();
        Process a = k.Spawn("a", sys =>
        {
            int mine = sys.NotifyCreate("a-never");
            sys.Wait(mine);
            return 0;
        });
        Process b = k.Spawn("b", sys =>
        {
            int mine = sys.NotifyCreate("b-never");
            sys.Wait(mine);
            return 0;
        });
        Process done = k.Spawn("done", sys => 4);
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Deadlock);
        string report = r.DeadlockReport.ShouldNotBeNull();
        string[] lines = report.Split('\n');
        lines.Length.ShouldBe(3);
        lines[0].ShouldBe("deadlock: every live thread is blocked");
        lines[1].ShouldStartWith("  tid 1 (a/main) waits for ");
        lines[2].ShouldStartWith("  tid 2 (b/main) waits for ");
        lines[1].ShouldContain("a-never");
        lines[2].ShouldContain("b-never");
        KernelEvent deadlock = log.Events.Single(e => e.Kind == EventKind.Deadlock);
        deadlock.Text.ShouldBe(report);
        (deadlock.Pid, deadlock.Tid).ShouldBe((0, 0));
        // The blocked processes are killed after the report; the one that ended before keeps its own status.
        (a.ExitStatus, b.ExitStatus, done.ExitStatus).ShouldBe((Kernel.KilledStatus, Kernel.KilledStatus, 4L));
        r.Processes.ShouldAllBe(p => p.State == ProcessState.Exited);
        List<KernelEvent> exits = [.. log.Events.Where(e => e.Kind == EventKind.ProcessExit && e.Pid != done.Pid)];
        exits.Count.ShouldBe(2);
        exits.ShouldAllBe(e => e.Seq > deadlock.Seq && e.Code == Kernel.KilledStatus);
        log.Events.Where(e => e.Kind == EventKind.ThreadExit && e.Pid != done.Pid).ShouldAllBe(e => e.Code == Kernel.KilledStatus);
        r.Panic.ShouldBeNull();
    }

    [Fact]
    public void Past_the_tick_limit_every_process_is_killed_once_with_one_event()
    {
        var k = new Kernel(new KernelConfig { Frames = 64, MaxTicks = 50 });
        Process spinner = k.Spawn("spinner", sys =>
        {
            while (true) sys.Yield();
        });
        Process sleeper = k.Spawn("sleeper", sys =>
        {
            sys.Sleep(1_000);
            return 0;
        });
        Process waiter = k.Spawn("waiter", sys =>
        {
            int n = sys.NotifyCreate("w");
            sys.Wait(n, 10_000);
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.TickLimit);
        r.Ticks.ShouldBeGreaterThan(50);
        r.Ticks.ShouldBeLessThan(60);
        KernelEvent limit = log.Events.Single(e => e.Kind == EventKind.TickLimit);
        limit.Text.ShouldBe("virtual time passed 50 ticks");
        limit.Tick.ShouldBe(51);
        new[] { spinner, sleeper, waiter }.ShouldAllBe(p => p.ExitStatus == Kernel.KilledStatus && p.State == ProcessState.Exited);
        log.Events.Where(e => e.Kind == EventKind.ProcessExit).ShouldAllBe(e => e.Seq > limit.Seq && e.Code == Kernel.KilledStatus);
        r.DeadlockReport.ShouldBeNull();
    }

    [Fact]
    public void A_lone_sleeper_makes_time_jump_with_an_idle_event_at_its_wake_up()
    {
        var k = TestKernels.Boot();
        k.Spawn("sleeper", sys =>
        {
            long before = sys.Time;
            sys.Sleep(100);
            return sys.Time - before;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        KernelEvent idle = log.Events.Single(e => e.Kind == EventKind.Idle);
        idle.A0.ShouldBe((ulong)idle.Tick);
        idle.Tick.ShouldBeGreaterThan(100);
        r.Processes.Single().ExitStatus.ShouldBeInRange(100L, 103L);
    }

    [Fact]
    public void Returning_from_main_ends_the_other_threads_with_mains_code()
    {
        var k = TestKernels.Boot();
        Process p = k.Spawn("exits", sys =>
        {
            int n = sys.NotifyCreate("never");
            sys.CreateThread((s, _) =>
            {
                s.Wait(n);
                return 1;
            });
            sys.CreateThread((s, _) =>
            {
                while (true) s.Yield();
            });
            sys.Yield();
            sys.Yield();
            return 12;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(12);
        List<KernelEvent> threadExits = [.. log.Events.Where(e => e.Kind == EventKind.ThreadExit)];
        threadExits.Count.ShouldBe(3);
        threadExits.ShouldAllBe(e => e.Code == 12);
        KernelEvent processExit = log.Events.Single(e => e.Kind == EventKind.ProcessExit);
        processExit.Code.ShouldBe(12);
        processExit.Seq.ShouldBeGreaterThan(threadExits.Max(e => e.Seq));
        log.Events.Count(e => e.Kind == EventKind.ProcessExit).ShouldBe(1);
    }

    [Fact]
    public void Exit_ends_the_process_with_its_code_while_other_threads_wait()
    {
        var k = TestKernels.Boot();
        Process p = k.Spawn("exits", sys =>
        {
            int n = sys.NotifyCreate("never");
            sys.CreateThread((s, _) =>
            {
                s.Wait(n);
                return 1;
            });
            sys.CreateThread((s, _) =>
            {
                s.Sleep(500);
                return 2;
            });
            sys.Yield();
            sys.Exit(9);
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        r.Ticks.ShouldBeLessThan(100); // the sleeper did not sleep on
        p.ExitStatus.ShouldBe(9);
        log.Events.Where(e => e.Kind == EventKind.ThreadExit).Select(e => e.Code).ShouldBe([9L, 9L, 9L], ignoreOrder: true);
        log.Events.Single(e => e.Kind == EventKind.ProcessExit).Code.ShouldBe(9);
    }

    [Fact]
    public void When_main_exits_alone_the_last_thread_to_end_gives_the_process_its_status()
    {
        var k = TestKernels.Boot();
        Process p = k.Spawn("last", sys =>
        {
            sys.CreateThread((s, _) =>
            {
                for (int i = 0; i < 5; i++) s.Yield();
                return 21;
            });
            sys.ExitThread(3);
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(21);
        log.Events.Where(e => e.Kind == EventKind.ThreadExit).Select(e => e.Code).ShouldBe([3L, 21L]);
        log.Events.Single(e => e.Kind == EventKind.ProcessExit).Code.ShouldBe(21);
    }

    [Fact]
    public void Every_joiner_of_a_thread_gets_its_code_also_after_it_ended()
    {
        var k = TestKernels.Boot();
        var joined = new List<long>();
        Process p = k.Spawn("joins", sys =>
        {
            int worker = sys.CreateThread((s, _) =>
            {
                for (int i = 0; i < 4; i++) s.Yield();
                return 33;
            });
            int j1 = sys.CreateThread((s, w) => s.Join((int)w), (ulong)worker);
            int j2 = sys.CreateThread((s, w) => s.Join((int)w), (ulong)worker);
            joined.Add(sys.Join(worker));
            joined.Add(sys.Join(j1));
            joined.Add(sys.Join(j2));
            joined.Add(sys.Join(worker)); // long gone: its code is kept
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        joined.ShouldBe([33L, 33L, 33L, 33L]);
        p.ExitStatus.ShouldBe(0);
    }

    [Fact]
    public void A_kernel_runs_once()
    {
        var k = TestKernels.Boot();
        k.Spawn("one", sys => 0);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        Should.Throw<InvalidOperationException>(() => k.Run()).Message.ShouldBe("a kernel runs once");
        k.Dispose();
    }

    [Fact]
    public void A_spawn_whose_image_fails_to_load_creates_nothing_and_uses_no_pid()
    {
        var k = new Kernel(new KernelConfig { Frames = 256 });
        int freeBefore = k.Frames.FreeCount;
        string[] tooMany = [.. Enumerable.Range(0, 1000).Select(i => $"arg{i}")];
        k.Spawn(Userland.Loader.ExampleImages.Image("hello")!, "bad", out Process? bad, arguments: tooMany).ShouldBe(ErrorCode.InvalidArgument);
        bad.ShouldBeNull();
        k.Processes.ShouldBeEmpty();
        k.Frames.FreeCount.ShouldBe(freeBefore); // its address space was freed again
        Process good = k.Spawn("good", sys => 0);
        good.Pid.ShouldBe(1);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
    }
}
