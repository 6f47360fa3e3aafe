using MicroKernel.Processes;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A process whose last thread ends by thread_exit (no exit, no return from main) ends there as fully as by exit: the
/// exit hook sees it once with its status, its IPC objects are released and its memory is freed.
/// </summary>
public sealed class LastThreadExitTests
{
    [Fact]
    public void The_last_thread_exit_runs_the_exit_hook_and_releases_ipc_and_memory()
    {
        var k = TestKernels.Boot();
        int before = k.Frames.FreeCount;
        var seen = new List<(int Pid, long Status)>();
        k.ExitObserver = p => seen.Add((p.Pid, p.ExitStatus));
        Process p = k.Spawn("quitter", sys =>
        {
            sys.NotifyCreate("mine");
            sys.Memory.WriteUInt64(sys.Map(4096), 1);
            sys.ExitThread(6);
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(6);
        seen.ShouldBe([(p.Pid, 6L)]);
        k.LiveNotifications.ShouldBe(0);
        k.Frames.FreeCount.ShouldBe(before);
        log.Events.Single(e => e.Kind == EventKind.ProcessExit).Code.ShouldBe(6L);
        k.ShouldBalance();
    }
}
