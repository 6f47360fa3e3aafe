using MicroKernel.Processes;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// The scheduler's books: a thread leaves the live list when it exits (the list does not grow with every thread a
/// run ever made), a sleeping thread says what it waits for, and a handler for a process whose threads all wait is
/// run by its lowest-numbered waiting thread.
/// </summary>
public sealed class SchedulerBooksTests
{
    [Fact]
    public void An_exited_thread_leaves_the_live_list_at_once()
    {
        var k = TestKernels.Boot();
        int workerTid = 0;
        bool workerListed = true;
        int liveAtEnd = -1;
        k.Spawn("parent", sys =>
        {
            workerTid = sys.CreateThread((s, _) => 0);
            sys.Join(workerTid);
            // A probe from the test: the worker exited, so only this thread is live.
            workerListed = k.Scheduler.LiveThreads.Any(t => t.Tid == workerTid);
            liveAtEnd = k.Scheduler.LiveThreads.Count;
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        workerListed.ShouldBeFalse();
        liveAtEnd.ShouldBe(1);
        k.Scheduler.LiveThreads.ShouldBeEmpty();
    }

    [Fact]
    public void A_sleeping_thread_says_until_which_tick_it_sleeps()
    {
        var k = TestKernels.Boot();
        string? seen = null;
        int sleeperTid = 0;
        k.Spawn("pair", sys =>
        {
            sleeperTid = sys.CreateThread((s, _) =>
            {
                s.Sleep(40);
                return 0;
            });
            sys.Yield(); // the sleeper starts and goes to sleep
            // A probe from the test: what the sleeper's WaitingFor says (as a deadlock report or a debugger shows it).
            seen = k.Scheduler.LiveThreads.Single(t => t.Tid == sleeperTid).WaitingFor;
            sys.Join(sleeperTid);
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        seen.ShouldNotBeNull().ShouldMatch(@"^sleep until tick \d+$");
    }

    [Fact]
    public void A_handler_for_a_process_whose_threads_all_wait_runs_on_its_lowest_numbered_thread()
    {
        var k = TestKernels.Boot();
        int mainTid = 0, ranOn = 0;
        bool mainWoke = false, workerWoke = false;
        Process receiver = k.Spawn("receiver", sys =>
        {
            mainTid = sys.Tid;
            sys.RegisterHandler(7, (s, _) =>
            {
                ranOn = s.Tid;
                return true;
            });
            int worker = sys.CreateThread((s, _) =>
            {
                workerWoke = s.Pause(1000);
                return 0;
            });
            sys.Yield(); // the worker starts and pauses first: it is last in the process's thread list
            mainWoke = sys.Pause(1000);
            sys.Join(worker);
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(20); // both threads of the receiver are waiting by then
            sys.Send(receiver.Pid, 7, sys.Map(4096), 1);
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        ranOn.ShouldBe(mainTid);
        mainWoke.ShouldBeTrue();
        workerWoke.ShouldBeTrue("every pausing thread wakes once a handler ran");
    }
}
