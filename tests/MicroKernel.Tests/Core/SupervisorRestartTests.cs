using MicroKernel.Processes;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A restart (<see cref="FaultPolicy.Restart"/>): the old generation's other threads end killed (their exit code is the
/// kill status, not the 0 of a clean end), and the new generation's main thread is the process's main: its return
/// ends the process and every other thread of it, as the first generation's would.
/// </summary>
public sealed class SupervisorRestartTests
{
    // Each generation starts a thread that waits for a notification nobody sends; generation 0 then faults.
    private static long WaitForever(Sys sys, ulong _)
    {
        sys.Wait(sys.NotifyCreate(null));
        return 0;
    }

    [Fact]
    public void The_old_generations_threads_end_killed_and_the_new_main_returning_ends_the_process()
    {
        var k = TestKernels.Boot();
        var waiters = new List<int>();
        Process p = k.Spawn("phoenix", sys =>
        {
            waiters.Add(sys.CreateThread(WaitForever));
            sys.Yield(); // the waiter blocks
            if (sys.Generation == 0) sys.Memory.ReadUInt64(0); // a null pointer: the supervisor restarts the process
            return 5;
        }, FaultPolicy.Restart);
        (RunResult r, EventLog log) = k.RunLogged();

        // Generation 1's main returned 5: that is exit(5), its waiter is killed with it, and no deadlock is left.
        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.Restarts.ShouldBe(1);
        p.ExitStatus.ShouldBe(5);
        waiters.Count.ShouldBe(2);
        long CodeOf(int tid) => log.Events.Single(e => e.Kind == EventKind.ThreadExit && e.Tid == tid).Code;
        CodeOf(waiters[0]).ShouldBe(Kernel.KilledStatus); // killed by the restart, not ended with 0
        CodeOf(waiters[1]).ShouldBe(5L); // killed by main's exit(5)
        log.Events.Single(e => e.Kind == EventKind.ProcessExit).Code.ShouldBe(5L);
    }
}
