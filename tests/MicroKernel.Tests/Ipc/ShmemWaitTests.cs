using MicroKernel.Processes;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// Waits around owned shared memory: a pause ends when a segment handler ran (as for a page-send handler), and a
/// caller blocked in shm_call is named in a deadlock report by the segment it lent, also when the kernel's message
/// object carried another segment before.
/// </summary>
public class ShmemWaitTests
{
    [Fact]
    public void A_pause_ends_when_a_segment_handler_ran()
    {
        var k = ShmemKit.Boot();
        bool paused = false, handled = false;
        k.Spawn("receiver", sys =>
        {
            sys.RegisterSegmentHandler((_, _) =>
            {
                handled = true;
                return 0;
            });
            Notification.Create(sys, "ready").Notify();
            paused = sys.Pause(100_000);
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            ShmemKit.AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(1), 4096);
            s.Send(1);
            while (!handled) sys.Yield(); // its exit would close the connection and drop the message
            return 0;
        });
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        handled.ShouldBeTrue();
        paused.ShouldBeTrue("the handler's run ends the pause, not its timeout");
        k.Scheduler.Now.ShouldBeLessThan(100_000);
        k.ShouldBalance();
    }

    [Fact]
    public void A_caller_blocked_in_shm_call_is_named_by_its_segment_in_the_deadlock_report()
    {
        var k = ShmemKit.Boot();
        long firstReply = -1;
        k.Spawn("caller", sys =>
        {
            ShmemKit.AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            var one = Shmem.Create(sys, c, 4096);
            var two = Shmem.Create(sys, c, 4096);
            firstReply = one.Call(1); // answered: the kernel's message object goes back to its pool
            two.Call(2); // the handler never answers this one
            return 0;
        });
        k.Spawn("server", sys =>
        {
            var never = Notification.Create(sys, "never");
            sys.RegisterSegmentHandler((s, m) =>
            {
                if (m.Type == 2) never.On(s).Wait();
                return 7;
            });
            Notification.Create(sys, "ready").Notify();
            while (true) sys.Yield(); // polls: the handler may then wait itself
        });
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Deadlock);
        firstReply.ShouldBe(7);
        string report = run.DeadlockReport.ShouldNotBeNull();
        report.ShouldContain("waits for shm_call of segment 2", customMessage: report);
        report.ShouldContain("waits for notification #", customMessage: report);
    }
}
