using MicroKernel.Faults;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// When no thread is ready, virtual time jumps to the next wake-up: the earliest of a sleeper's tick and a page-send
/// delivery a delay rule holds back; a later sleeper does not pull the jump past the delivery, nor the delivery past an
/// earlier sleeper.
/// </summary>
public class IdleJumpTests
{
    // The receiver pauses; the sender sends one page (held back `delay` ticks by the rule), then sleeps `sleep` ticks.
    private static (long HandledAt, long SentAt, EventLog Log) Run(long delay, long sleep)
    {
        var k = new Kernel(new KernelConfig { Frames = 256, Faults = new FaultPlan([new DelayFaultRule(1, delay)]) });
        long handledAt = 0, sentAt = 0;
        k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(7, (s, m) =>
            {
                handledAt = s.Time;
                return true;
            });
            sys.Pause();
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            ulong page = sys.Map(4096);
            sentAt = sys.Time + 1;
            sys.Send(1, 7, page, 1);
            sys.Sleep(sleep);
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        return (handledAt, sentAt, log);
    }

    private static List<long> Idles(EventLog log) => [.. log.Events.Where(e => e.Kind == EventKind.Idle).Select(e => (long)e.A0)];

    [Fact]
    public void A_held_delivery_due_before_a_sleepers_tick_is_what_time_jumps_to()
    {
        var (handledAt, sentAt, log) = Run(delay: 20, sleep: 200);
        // The send is at sentAt and its delivery is held from the next tick; the sleep starts at that tick too.
        Idles(log).ShouldBe([sentAt + 1 + 20, sentAt + 1 + 200]);
        handledAt.ShouldBe(sentAt + 1 + 20 + 1, "the handler's time() is the tick after the delivery");
    }

    [Fact]
    public void A_sleeper_due_before_a_held_delivery_is_what_time_jumps_to()
    {
        var (handledAt, sentAt, log) = Run(delay: 200, sleep: 20);
        Idles(log).ShouldBe([sentAt + 1 + 20, sentAt + 1 + 200]);
        handledAt.ShouldBe(sentAt + 1 + 200 + 1);
    }
}
