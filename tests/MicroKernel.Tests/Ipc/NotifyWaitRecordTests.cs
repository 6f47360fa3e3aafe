using MicroKernel.Ipc.Notify;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// A thread's wait record is reused from one wait to the next: what a deadlock report says it waits for must be
/// its current wait's objects (and a lock's current holder), a wait killed later must not hand back a unit an
/// earlier wait took, and a wait that timed out at the very tick of a notify or a close must be left alone by them.
/// </summary>
public class NotifyWaitRecordTests
{
    private const ulong Forever = NotifyLimits.Forever;

    private static string Deadlocks(Kernel k)
    {
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Deadlock, r.Panic?.ToString());
        k.ShouldBalance();
        k.LiveNotifications.ShouldBe(0);
        return r.DeadlockReport.ShouldNotBeNull();
    }

    [Fact]
    public void A_deadlock_report_names_the_object_of_the_current_wait_not_of_an_earlier_one()
    {
        var k = TestKernels.Boot();
        k.Spawn("p", sys =>
        {
            var a = Notification.Create(sys, "a");
            var b = Notification.Create(sys, "b");
            a.Wait(3); // times out
            b.Wait();  // forever
            return 0;
        });
        string report = Deadlocks(k);
        report.ShouldContain("waits for notification #2 'b'");
        report.ShouldNotContain("'a'");
    }

    [Fact]
    public void A_deadlock_report_names_the_objects_of_the_current_wait_any_not_of_an_earlier_one()
    {
        var k = TestKernels.Boot();
        k.Spawn("p", sys =>
        {
            var a = Notification.Create(sys, "a");
            var b = Notification.Create(sys, "b");
            var c = Notification.Create(sys, "c");
            Notification.WaitAny(3, a, b).ShouldBe(-1);
            Notification.WaitAny(-1, a, c);
            return 0;
        });
        Deadlocks(k).ShouldContain("waits for any of notification #1 'a', notification #3 'c'");
    }

    [Fact]
    public void A_second_wait_on_the_same_lock_names_the_holder_of_that_wait()
    {
        var k = TestKernels.Boot();
        k.Spawn("p", sys =>
        {
            var l = Notification.CreateLock(sys);
            var never = Notification.Create(sys, "never");
            l.Wait(); // main holds it
            int second = sys.CreateThread((s, _) =>
            {
                l.On(s).Wait();        // blocks while main holds it, then gets it
                s.Sleep(5);
                l.On(s).Release();     // to the third thread, queued meanwhile
                s.Sleep(5);
                l.On(s).Wait();        // the same lock again, now held by the third: blocks for good
                return 0;
            });
            sys.Sleep(3);
            l.Release();               // to the second thread
            sys.CreateThread((s, _) =>
            {
                l.On(s).Wait();        // queued behind the second, then holds it for good
                never.On(s).Wait();
                return 0;
            });
            sys.Join(second);
            return 0;
        });
        string report = Deadlocks(k);
        report.ShouldContain("tid 2 (p/thread-1) waits for notification #1 held by tid 3 (p/thread-2)");
    }

    [Fact]
    public void A_waiter_of_a_lock_that_changed_hands_is_reported_waiting_for_the_new_holder()
    {
        var k = TestKernels.Boot();
        k.Spawn("p", sys =>
        {
            var l = Notification.CreateLock(sys);
            var never = Notification.Create(sys, "never");
            l.Wait(); // main holds it
            int second = sys.CreateThread((s, _) =>
            {
                l.On(s).Wait();        // gets it from main, then blocks for good holding it
                never.On(s).Wait();
                return 0;
            });
            sys.Sleep(3);
            int third = sys.CreateThread((s, _) =>
            {
                l.On(s).Wait();        // queued behind the second while main still holds it
                return 0;
            });
            sys.Sleep(3);
            l.Release();               // to the second thread; the third's report must follow
            sys.Join(third);
            sys.Join(second);
            return 0;
        });
        string report = Deadlocks(k);
        report.ShouldContain("tid 3 (p/thread-2) waits for notification #1 held by tid 2 (p/thread-1)");
        report.ShouldNotContain("held by tid 1");
    }

    [Fact]
    public void A_waiter_killed_after_an_earlier_wait_was_woken_gives_back_no_unit()
    {
        // The victim's thread is woken once by a notify (its wait record remembers which object fired), then waits
        // again and is killed in that second wait: no unit was handed to it there, so none may come back.
        var k = TestKernels.Boot();
        long firstWait = -1, woken = -1, phantom = 0;
        bool waitingAgain = false;
        k.Spawn("owner", sys =>
        {
            var n = Notification.Create(sys, "n");
            sys.Sleep(10);
            woken = n.Notify();
            while (!waitingAgain) sys.Sleep(1);
            sys.Sleep(20); // the victim is dead by now
            phantom = sys.Syscall(SyscallNumber.Wait, (ulong)n.Handle, 0);
            n.Close();
            return 0;
        });
        Process victim = k.Spawn("victim", sys =>
        {
            var n = Notification.OpenWhenCreated(sys, "n");
            sys.CreateThread((s, _) =>
            {
                firstWait = s.Syscall(SyscallNumber.Wait, (ulong)n.Handle, Forever);
                waitingAgain = true;
                return s.Syscall(SyscallNumber.Wait, (ulong)n.Handle, Forever);
            });
            while (!waitingAgain) sys.Sleep(1);
            sys.Sleep(5);
            sys.Exit(7); // the waiting thread dies with the process
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString() ?? r.DeadlockReport);
        victim.ExitStatus.ShouldBe(7);
        (firstWait, woken).ShouldBe((0L, 1L));
        phantom.ShouldBe((long)ErrorCode.WouldBlock);
        k.NotifyStats.Waits.ShouldBe(1);
        k.ShouldBalance();
    }

    // One kernel per delay: a waiter times out after 10 ticks while another thread, which went to sleep before the
    // wait started, acts `delay` ticks later. Some delay makes both happen at the same tick with the sleeper run
    // first: the timed-out wait is still listed on the object, but must count as gone.
    public static TheoryData<int> Delays => [.. Enumerable.Range(6, 10)];

    [Theory]
    [MemberData(nameof(Delays))]
    public void A_notify_at_the_tick_a_wait_times_out_is_either_taken_by_it_or_kept(int delay)
    {
        var k = TestKernels.Boot();
        long waited = 0, kept = 0;
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate(null);
            int notifier = sys.CreateThread((s, _) =>
            {
                s.Sleep(delay);
                return s.Notify(h);
            });
            waited = sys.Syscall(SyscallNumber.Wait, (ulong)h, 10);
            sys.Join(notifier);
            kept = sys.Syscall(SyscallNumber.Wait, (ulong)h, 0);
            sys.NotifyClose(h);
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.ShouldBalance();
        // Exactly one of the two took the unit.
        (waited == 0 ? 1 : 0).ShouldBe(kept == 0 ? 0 : 1, $"wait {waited}, then poll {kept}");
        waited.ShouldBeOneOf(0L, (long)ErrorCode.TimedOut);
    }

    [Theory]
    [MemberData(nameof(Delays))]
    public void A_close_by_the_owner_at_the_tick_a_wait_times_out_counts_a_closed_wake_only_for_a_wait_it_woke(int delay)
    {
        var k = TestKernels.Boot();
        long waited = 0;
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate(null);
            int closer = sys.CreateThread((s, _) =>
            {
                s.Sleep(delay);
                s.NotifyClose(h);
                return 0;
            });
            waited = sys.Syscall(SyscallNumber.Wait, (ulong)h, 10);
            sys.Join(closer);
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.ShouldBalance();
        long closedWakes = waited == (long)ErrorCode.ObjectClosed ? 1 : 0;
        waited.ShouldBeOneOf((long)ErrorCode.ObjectClosed, (long)ErrorCode.TimedOut);
        k.NotifyStats.ClosedWakes.ShouldBe(closedWakes, $"the wait returned {waited}");
        log.Events.Count(e => e.Kind == EventKind.Wake).ShouldBe((int)closedWakes);
    }

    [Theory]
    [MemberData(nameof(Delays))]
    public void Dropping_the_last_handle_at_the_tick_a_wait_times_out_counts_a_closed_wake_only_for_a_wait_it_woke(int delay)
    {
        var k = TestKernels.Boot();
        long waited = 0;
        k.Spawn("owner", sys =>
        {
            var n = Notification.Create(sys, "n");
            sys.Sleep(100);
            n.Close();
            return 0;
        });
        k.Spawn("user", sys =>
        {
            var n = Notification.OpenWhenCreated(sys, "n");
            int dropper = sys.CreateThread((s, _) =>
            {
                s.Sleep(delay);
                s.NotifyClose(n.Handle);
                return 0;
            });
            waited = sys.Syscall(SyscallNumber.Wait, (ulong)n.Handle, 10);
            sys.Join(dropper);
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.ShouldBalance();
        long closedWakes = waited == (long)ErrorCode.ObjectClosed ? 1 : 0;
        waited.ShouldBeOneOf((long)ErrorCode.ObjectClosed, (long)ErrorCode.TimedOut);
        k.NotifyStats.ClosedWakes.ShouldBe(closedWakes, $"the wait returned {waited}");
        log.Events.Count(e => e.Kind == EventKind.Wake).ShouldBe((int)closedWakes);
    }
}
