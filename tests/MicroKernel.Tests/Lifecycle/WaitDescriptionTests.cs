using MicroKernel.Processes;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Lifecycle;

/// <summary>
/// The words a wait queue gives what its threads wait for: the deadlock report names each blocked thread's wait, and
/// the switch away from a thread that blocks reads "block: " and that wait.
/// </summary>
public class WaitDescriptionTests
{
    [Fact]
    public void A_thread_paused_for_a_handler_nobody_sends_is_reported_waiting_for_one()
    {
        using Kernel k = TestKernels.Boot();
        Process p = k.Spawn("waiter", sys =>
        {
            sys.Pause();
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Deadlock);
        r.DeadlockReport.ShouldNotBeNull().ShouldContain("a handler to run (pause)");
        p.ExitStatus.ShouldNotBe(0);
    }

    [Fact]
    public void A_thread_that_blocks_in_a_join_is_switched_away_from_with_the_join_as_its_reason()
    {
        using Kernel k = TestKernels.Boot();
        int worker = 0;
        k.Spawn("joiner", sys =>
        {
            worker = sys.CreateThread((s, _) =>
            {
                s.Sleep(5);
                return 4;
            });
            return sys.Join(worker);
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        KernelEvent block = log.Events.First(e => e.Kind == EventKind.Switch && e.Tid == 1 && e.Text!.StartsWith("block", StringComparison.Ordinal));
        block.Text.ShouldBe($"block: join tid {worker}");
    }
}
