using MicroKernel.Scheduling;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// Virtual time to the tick: every syscall is one scheduling point, a sleep ends at its tick (by an idle jump when
/// nothing else runs, or at the scheduling point that reaches it), a timed wait ends at its deadline, and the tick
/// limit stops a run at the first tick past it.
/// </summary>
public class VirtualTimeTests
{
    // time(), sleep(n), time(): the sleep enters one tick after the first time() and ends n ticks later, and the second
    // time() is one tick more: n + 2.
    private static long SleepSpan(Sys sys, long ticks)
    {
        long before = sys.Time;
        sys.Sleep(ticks);
        return sys.Time - before;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void A_sleep_alone_ends_at_its_tick_by_an_idle_jump(long ticks)
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        long span = -1;
        k.Spawn("sleeper", sys =>
        {
            span = SleepSpan(sys, ticks);
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        span.ShouldBe(ticks + 2);
        // The idle jump lands on the wake-up tick itself: the sleep entered at tick 2.
        log.Events.Where(e => e.Kind == EventKind.Idle).Select(e => (long)e.A0).ShouldHaveSingleItem().ShouldBe(2 + ticks);
    }

    [Fact]
    public void A_sleep_of_zero_ticks_returns_at_once_with_no_idle()
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        long span = -1;
        k.Spawn("sleeper", sys =>
        {
            span = SleepSpan(sys, 0);
            return 0;
        });
        var (r, log) = k.RunLogged();
        span.ShouldBe(2);
        log.Events.ShouldNotContain(e => e.Kind == EventKind.Idle);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(40)]
    public void A_sleeper_more_urgent_than_a_busy_thread_wakes_at_exactly_its_tick(long ticks)
    {
        // No idle here: the busy thread's own scheduling points move time, and the one that reaches the wake-up tick
        // makes the sleeper ready; being more urgent, it preempts there.
        var k = new Kernel(new KernelConfig { Frames = 64, Policy = PolicyKind.Priority });
        long span = -1;
        bool stop = false;
        k.Spawn("sleeper", sys =>
        {
            span = SleepSpan(sys, ticks);
            stop = true;
            return 0;
        }, priority: 5);
        k.Spawn("busy", sys =>
        {
            while (!stop) _ = sys.Time;
            return 0;
        }, priority: 1);
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        span.ShouldBe(ticks + 2);
        log.Events.ShouldNotContain(e => e.Kind == EventKind.Idle);
    }

    [Fact]
    public void Two_sleepers_wake_in_the_order_of_their_ticks_and_equal_ticks_in_the_order_they_slept()
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        var woke = new List<string>();
        k.Spawn("p", sys =>
        {
            // Each thread sleeps until the same absolute tick or a later one; main sleeps longest.
            int[] tids =
            [
                sys.CreateThread((s, arg) => { s.Sleep(30); woke.Add($"late {s.Time}"); return 0; }),
                sys.CreateThread((s, arg) => { s.Sleep(10); woke.Add($"first {s.Time}"); return 0; }),
                sys.CreateThread((s, arg) => { s.Sleep(9); woke.Add($"second {s.Time}"); return 0; }),
            ];
            foreach (int t in tids) sys.Join(t);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        woke.Select(w => w.Split(' ')[0]).ShouldBe(["first", "second", "late"]);
        // "first" and "second" sleep until the same tick (the second started one tick later for one tick less).
        int.Parse(woke[1].Split(' ')[1], CultureInfo.InvariantCulture).ShouldBe(int.Parse(woke[0].Split(' ')[1], CultureInfo.InvariantCulture) + 1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(12)]
    public void A_timed_wait_ends_timed_out_at_its_deadline(long timeout)
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        long span = -1;
        bool got = true;
        k.Spawn("waiter", sys =>
        {
            int h = sys.NotifyCreate(null);
            long before = sys.Time;
            got = sys.Wait(h, timeout);
            span = sys.Time - before;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        got.ShouldBeFalse();
        span.ShouldBe(timeout + 2);
    }

    [Fact]
    public void A_timed_wait_that_was_woken_early_leaves_no_wake_up_behind_for_a_later_sleep()
    {
        // The wait's deadline stays queued (stale) after the notify woke it; at that tick the later sleep must go on.
        var k = new Kernel(new KernelConfig { Frames = 64 });
        long sleptFrom = 0, sleptTo = 0;
        bool woken = false;
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate(null);
            int t = sys.CreateThread((s, arg) =>
            {
                s.Sleep(3);
                s.Notify((int)arg);
                return 0;
            }, (ulong)h);
            woken = sys.Wait(h, 30);
            sleptFrom = sys.Time;
            sys.Sleep(100);
            sleptTo = sys.Time;
            sys.Join(t);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        woken.ShouldBeTrue();
        sleptFrom.ShouldBeLessThan(30);
        (sleptTo - sleptFrom).ShouldBe(102);
    }

    [Fact]
    public void The_tick_limit_stops_the_run_at_the_first_tick_past_it()
    {
        var k = new Kernel(new KernelConfig { Frames = 64, MaxTicks = 100 });
        long last = 0;
        Processes.Process p = k.Spawn("spin", sys =>
        {
            while (true) last = sys.Time;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.TickLimit);
        last.ShouldBe(100, "the call at tick 100 still ran");
        log.Events.Single(e => e.Kind == EventKind.TickLimit).Tick.ShouldBe(101);
        p.ExitStatus.ShouldBe(Kernel.KilledStatus);
    }

    [Fact]
    public void A_run_that_ends_exactly_at_the_tick_limit_completes()
    {
        // time() at ticks 1..100 and main returns (no syscall): never past the limit.
        var k = new Kernel(new KernelConfig { Frames = 64, MaxTicks = 100 });
        long last = 0;
        k.Spawn("exact", sys =>
        {
            while (last < 100) last = sys.Time;
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        r.Ticks.ShouldBe(100);
    }
}
