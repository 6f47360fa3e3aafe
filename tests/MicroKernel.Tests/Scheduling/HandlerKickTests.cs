using MicroKernel.Scheduling;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// A handler queued for a process none of whose threads is ready runs on one of its waiting threads: the lowest
/// numbered, which leaves its wait for the handler and then waits on, as with SA_RESTART; the other waits are not
/// disturbed, and a sleep interrupted by a handler still ends at its own tick.
/// </summary>
public class HandlerKickTests
{
    [Fact]
    public void The_handler_runs_on_the_lowest_numbered_waiting_thread_and_every_wait_goes_on()
    {
        var k = new Kernel(new KernelConfig { Frames = 256 });
        int mainTid = 0, sleeperTid = 0, ranOn = 0;
        long sleptFrom = 0, sleptTo = 0, joined = -1;
        var receiver = k.Spawn("receiver", sys =>
        {
            mainTid = sys.Tid;
            sys.RegisterHandler(7, (s, m) =>
            {
                ranOn = s.Tid;
                return true;
            });
            int t = sys.CreateThread((s, arg) =>
            {
                sleeperTid = s.Tid;
                sleptFrom = s.Time;
                s.Sleep(50);
                sleptTo = s.Time;
                return 9;
            });
            joined = sys.Join(t); // main blocks here; the sleeper sleeps: nobody is ready when the message comes
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(10);
            sys.Send(receiver.Pid, 7, sys.Map(4096), 1);
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        sleeperTid.ShouldBeGreaterThan(mainTid);
        ranOn.ShouldBe(mainTid, "main has the lower tid");
        joined.ShouldBe(9, "main's join went on after the handler");
        (sleptTo - sleptFrom).ShouldBe(52, "the sleeper's sleep was not cut short");
        log.Events.ShouldContain(e => e.Kind == EventKind.Upcall && e.Tid == mainTid);
    }

    [Fact]
    public void A_sleeping_thread_kicked_for_a_handler_sleeps_on_to_its_tick()
    {
        var k = new Kernel(new KernelConfig { Frames = 256 });
        long sleptFrom = 0, sleptTo = 0, handledAt = 0;
        var receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(7, (s, m) =>
            {
                handledAt = s.Time;
                return true;
            });
            sleptFrom = sys.Time;
            sys.Sleep(40);
            sleptTo = sys.Time;
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(10);
            sys.Send(receiver.Pid, 7, sys.Map(4096), 1);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        handledAt.ShouldBeInRange(sleptFrom + 10, sleptFrom + 20);
        (sleptTo - sleptFrom).ShouldBe(42);
    }
}
