using MicroKernel.Processes;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Core;

/// <summary>
/// After a deadlock the blocked processes are killed in pid order, whatever order their threads blocked in: the
/// events that follow the report are the same on every run.
/// </summary>
public sealed class DeadlockVictimOrderTests
{
    [Fact]
    public void The_blocked_processes_are_killed_in_pid_order()
    {
        var k = TestKernels.Boot();
        var blocked = new List<Process>();
        for (int i = 0; i < 3; i++)
            blocked.Add(k.Spawn($"p{i}", sys =>
            {
                sys.Wait(sys.NotifyCreate(null));
                return 0;
            }));
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Deadlock);
        long deadlock = log.Events.Single(e => e.Kind == EventKind.Deadlock).Seq;
        log.Events.Where(e => e.Kind == EventKind.ProcessExit && e.Seq > deadlock).Select(e => e.Pid)
            .ShouldBe(blocked.Select(p => p.Pid));
        blocked.ShouldAllBe(p => p.ExitStatus == Kernel.KilledStatus);
    }
}
