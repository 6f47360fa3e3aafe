using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// A timed wait woken early leaves its deadline in the sleep queue (stale: the thread's sleep token moved on). When
/// another thread keeps the ticks going past that deadline, the stale entry must not end the thread's later wait.
/// </summary>
public class StaleWakeUpTests
{
    [Theory]
    [InlineData(200L)]
    [InlineData(-1L)]
    public void A_stale_deadline_does_not_time_out_a_later_wait(long secondTimeout)
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        bool first = false, second = false;
        long firstStart = 0, firstEnd = 0, secondEnd = 0, notifiedAt = 0;
        k.Spawn("p", sys =>
        {
            int early = sys.NotifyCreate(null);
            int late = sys.NotifyCreate(null);
            int t = sys.CreateThread((s, arg) =>
            {
                s.Sleep(3);
                s.Notify(early);
                // Busy past the first wait's deadline (about tick 35): the ticks go on, nothing idles.
                while ((notifiedAt = s.Time) < 80) { }
                s.Notify(late);
                return 0;
            });
            firstStart = sys.Time;
            first = sys.Wait(early, 30);
            firstEnd = sys.Time;
            second = sys.Wait(late, secondTimeout);
            secondEnd = sys.Time;
            sys.Join(t);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        first.ShouldBeTrue();
        firstEnd.ShouldBeLessThan(firstStart + 30, "the first wait was woken before its deadline");
        second.ShouldBeTrue("the first wait's stale deadline must not end the second wait");
        secondEnd.ShouldBeGreaterThan(notifiedAt);
    }
}
