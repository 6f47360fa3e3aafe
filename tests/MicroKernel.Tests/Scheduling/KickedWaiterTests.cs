using MicroKernel.Ipc.Notify;
using MicroKernel.Processes;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// A handler queued for a process: a waiting thread is taken out of its wait for it only when no thread of the
/// process is ready; the kicked thread's old wake-up does not end a wait its handler starts; a wait that ends while
/// its thread runs the handler does not queue the thread twice; a kicked thread whose process is killed before it
/// runs unwinds instead of waiting again.
/// </summary>
public class KickedWaiterTests
{
    [Fact]
    public void A_handler_for_a_process_with_a_running_thread_leaves_its_waiting_thread_alone()
    {
        var k = new Kernel(new KernelConfig { Frames = 256 });
        int mainTid = 0, waiterTid = 0, ranOn = 0;
        var receiver = k.Spawn("receiver", sys =>
        {
            mainTid = sys.Tid;
            sys.RegisterHandler(7, (s, m) =>
            {
                ranOn = s.Tid;
                return true;
            });
            int h = sys.NotifyCreate(null);
            int t = sys.CreateThread((s, arg) =>
            {
                waiterTid = s.Tid;
                return s.Wait((int)arg) ? 1 : 0;
            }, (ulong)h);
            while (ranOn == 0) _ = sys.Time; // busy (running or ready) when the message comes
            for (int i = 0; i < 20; i++) _ = sys.Time; // and a while after the handler, before it notifies
            sys.Notify(h);
            return sys.Join(t) == 1 ? 0 : 5;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(10);
            sys.Send(receiver.Pid, 7, sys.Map(4096), 1);
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        receiver.ExitStatus.ShouldBe(0);
        ranOn.ShouldBe(mainTid);
        // The waiter is dispatched twice: to start (then it waits), and once notified. Never for the handler.
        log.Events.Count(e => e.Kind == EventKind.Switch && (int)e.A0 == waiterTid).ShouldBe(2);
    }

    [Fact]
    public void A_wait_started_by_the_handler_of_a_kicked_sleeper_is_not_ended_by_the_sleeps_wake_up()
    {
        // main sleeps to about tick 22; the handler (run on main, kicked out of its sleep) waits with no timeout for a
        // notify that comes at about tick 60. The sleep's queued wake-up must not time that wait out.
        var k = new Kernel(new KernelConfig { Frames = 256 });
        bool got = false;
        long gotAt = 0, sleptFrom = 0, sleptTo = 0, notifiedAt = 0;
        var receiver = k.Spawn("receiver", sys =>
        {
            int h = sys.NotifyCreate(null);
            sys.RegisterHandler(7, (s, m) =>
            {
                got = s.Wait(h);
                gotAt = s.Time;
                return true;
            });
            int t = sys.CreateThread((s, arg) =>
            {
                s.Sleep(60);
                notifiedAt = s.Time;
                s.Notify((int)arg);
                return 0;
            }, (ulong)h);
            sleptFrom = sys.Time;
            sys.Sleep(20);
            sleptTo = sys.Time;
            sys.Join(t);
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(5);
            sys.Send(receiver.Pid, 7, sys.Map(4096), 1);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        got.ShouldBeTrue("the handler's wait ends by the notify, not by the sleep's old wake-up");
        gotAt.ShouldBeGreaterThan(notifiedAt);
        sleptTo.ShouldBeGreaterThan(gotAt, "the sleep goes on after the handler");
        receiver.ExitStatus.ShouldBe(0);
        _ = sleptFrom;
    }

    [Fact]
    public void A_wait_that_ends_while_its_kicked_thread_runs_the_handler_queues_the_thread_once()
    {
        // The sender queues a message (main is kicked out of its wait: ready) and notifies at once: main's wait ends
        // while it is ready for the handler. It must be queued to run once, not a second time by the wake-up: its
        // yield after the wait then hands the CPU to the sender (a second entry would hand it straight back to main).
        // The quantum (10) lets the sender send and notify in one slice.
        var k = new Kernel(new KernelConfig { Frames = 256, Quantum = 10 });
        bool got = false;
        int handled = 0, senderCalls = 0, beforeYield = -1, afterYield = -1;
        var receiver = k.Spawn("receiver", sys =>
        {
            int h = sys.NotifyCreate("kicked");
            sys.RegisterHandler(7, (s, m) =>
            {
                handled++;
                return true;
            });
            got = sys.Wait(h);
            beforeYield = senderCalls;
            sys.Yield();
            afterYield = senderCalls;
            return 0;
        });
        var sender = k.Spawn("sender", sys =>
        {
            int h = sys.NotifyCreate("kicked", NotifyFlags.Open);
            sys.Send(receiver.Pid, 7, sys.Map(4096), 1);
            sys.Notify(h);
            for (int i = 0; i < 50; i++)
            {
                _ = sys.Time;
                senderCalls++;
            }
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        got.ShouldBeTrue();
        handled.ShouldBe(1);
        afterYield.ShouldBeGreaterThan(beforeYield, "the yield ran the sender");
        receiver.ExitStatus.ShouldBe(0);
        sender.ExitStatus.ShouldBe(0);
        log.Events.Count(e => e.Kind == EventKind.Switch && e.Tid == 1 && e.Text == "yield").ShouldBe(1);
    }

    [Fact]
    public void A_kicked_waiter_whose_process_is_killed_before_it_runs_leaves_its_wait_at_once()
    {
        // main joins a sleeping thread. The message kicks main (the lower tid) out of its join for the handler: it is
        // ready, still in the join. The tick limit passes right then and kills every process: main must leave its join
        // when it runs next and unwind, not wait again (for the sleeper to unwind and wake it).
        var k = new Kernel(new KernelConfig { Frames = 256, MaxTicks = SendTick });
        long sentAt = 0;
        var receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(7, (s, m) => true);
            int t = sys.CreateThread((s, arg) =>
            {
                s.Sleep(1000);
                return 3;
            });
            sys.Join(t);
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            ulong page = sys.Map(4096);
            sys.Sleep(10);
            sentAt = sys.Time + 1;
            sys.Send(receiver.Pid, 7, page, 1);
            while (true) _ = sys.Time;
        });
        var (r, log) = k.RunLogged();
        sentAt.ShouldBe(SendTick);
        r.Outcome.ShouldBe(RunOutcome.TickLimit);
        receiver.ExitStatus.ShouldBe(Kernel.KilledStatus);
        long limit = log.Events.Single(e => e.Kind == EventKind.TickLimit).Seq;
        log.Events.ShouldNotContain(e => e.Seq > limit && e.Kind == EventKind.Switch && e.Text!.StartsWith("block", StringComparison.Ordinal));
    }

    [Fact]
    public void A_timed_wait_whose_deadline_passes_during_its_handler_times_out_after_it_and_can_wait_again()
    {
        // main waits 10 ticks; the message comes first and its handler runs 30 ticks: the wait ends TimedOut when the
        // handler returns, main leaves the notification's queue, and its next waits work as any: one notified, one
        // timed out at its own deadline.
        var k = new Kernel(new KernelConfig { Frames = 256 });
        bool first = true, second = false, third = true;
        long handlerEnd = 0, firstEnd = 0, thirdSpan = 0;
        var receiver = k.Spawn("receiver", sys =>
        {
            int h = sys.NotifyCreate("late");
            sys.RegisterHandler(7, (s, m) =>
            {
                for (int i = 0; i < 30; i++) handlerEnd = s.Time;
                return true;
            });
            first = sys.Wait(h, 10);
            firstEnd = sys.Time;
            second = sys.Wait(h, 100);
            long before = sys.Time;
            third = sys.Wait(h, 5);
            thirdSpan = sys.Time - before;
            return 0;
        });
        var sender = k.Spawn("sender", sys =>
        {
            int h = sys.NotifyCreate("late", NotifyFlags.Open);
            sys.Send(receiver.Pid, 7, sys.Map(4096), 1);
            sys.Sleep(50);
            sys.Notify(h);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        first.ShouldBeFalse("the deadline passed while the handler ran");
        firstEnd.ShouldBe(handlerEnd + 1);
        second.ShouldBeTrue();
        third.ShouldBeFalse();
        thirdSpan.ShouldBe(7);
        receiver.ExitStatus.ShouldBe(0);
        sender.ExitStatus.ShouldBe(0);
    }

    private const long SendTick = 17;
}
