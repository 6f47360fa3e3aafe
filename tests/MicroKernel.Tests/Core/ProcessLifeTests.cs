using MicroKernel.Processes;

namespace MicroKernel.Tests.Core;

public class ProcessLifeTests
{
    [Fact]
    public void Returning_from_main_ends_the_process_with_its_result_like_exit()
    {
        var k = TestKernels.Boot();
        bool workerFinished = false;
        Process p = k.Spawn("app", sys =>
        {
            sys.CreateThread((s, _) => { s.Sleep(1000); workerFinished = true; return 3; });
            sys.Yield();
            return 7;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(7);
        workerFinished.ShouldBeFalse();
        r.Ticks.ShouldBeLessThan(1000);
        k.ShouldBalance();
    }

    [Fact]
    public void Thread_exit_on_main_leaves_the_other_threads_running_and_the_last_one_sets_the_status()
    {
        var k = TestKernels.Boot();
        Process p = k.Spawn("app", sys =>
        {
            sys.CreateThread((s, _) => { s.Sleep(10); return 3; });
            sys.ExitThread(7);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(3);
        k.ShouldBalance();
    }
}
