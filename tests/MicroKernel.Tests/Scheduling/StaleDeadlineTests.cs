namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// A timed wait woken early leaves its deadline in the sleepers' queue (removing it would cost a search); the entry
/// carries the wait's token, and a later wait of the same thread has a new one, so the stale entry wakes nothing when
/// its tick comes. Seen only when the later call is itself a timed wait still waiting at that tick, with another
/// thread keeping time going (a sleep alone would end by an idle jump straight to its own tick).
/// </summary>
public sealed class StaleDeadlineTests
{
    [Fact]
    public void A_stale_deadline_does_not_cut_short_a_later_timed_wait()
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        bool firstWoken = false, secondWoken = true;
        long waitedFrom = 0, waitedTo = 0;
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate(null);
            int quiet = sys.NotifyCreate(null); // nobody notifies it: the second wait can only time out
            int notifier = sys.CreateThread((s, arg) =>
            {
                s.Sleep(3);
                s.Notify((int)arg);
                while (s.Time < 200) s.Yield(); // keeps virtual time going past both deadlines
                return 0;
            }, (ulong)h);
            firstWoken = sys.Wait(h, 30);   // woken at about tick 4: its deadline (about 30) stays queued
            waitedFrom = sys.Time;
            secondWoken = sys.Wait(quiet, 100);
            waitedTo = sys.Time;
            sys.Join(notifier);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        firstWoken.ShouldBeTrue();
        waitedFrom.ShouldBeLessThan(30);
        secondWoken.ShouldBeFalse();
        (waitedTo - waitedFrom).ShouldBeGreaterThanOrEqualTo(100, "the second wait ran to its own deadline");
        (waitedTo - waitedFrom).ShouldBeLessThan(105);
    }
}
