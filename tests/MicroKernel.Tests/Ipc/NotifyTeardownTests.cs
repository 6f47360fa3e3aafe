using MicroKernel.Ipc.Notify;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// A process's exit ends the waits of its threads, including a thread that waits inside a call into it (an RPC
/// thread acting for another process), before its objects close: such a wait ends as ProcessExited, not as a
/// waiter woken by the close.
/// </summary>
public class NotifyTeardownTests
{
    private const ulong Forever = NotifyLimits.Forever;

    [Fact]
    public void A_deadlock_found_by_a_call_waiting_inside_the_server_ends_that_wait_before_the_servers_objects_close()
    {
        // The client's thread calls into the server, whose method waits on the server's object forever; the server's
        // own thread waits there too. The client's block finds the deadlock; the server is killed: both waits end
        // with its exit, so its object closes with nobody left to wake.
        var k = TestKernels.Boot();
        long callResult = 0;
        k.Spawn("server", sys =>
        {
            int n = sys.NotifyCreate("n");
            Rpc.Export<IProbe>(new Probe(_ => Rpc.Sys.Syscall(SyscallNumber.Wait, (ulong)n, Forever)), "probe");
            return sys.Syscall(SyscallNumber.Wait, (ulong)n, Forever);
        });
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("probe")) < 0) sys.Yield();
            callResult = Rpc.TryCall(new RpcHandle<IProbe>((ulong)h), s => s.Peek(0));
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Deadlock);
        // The server's thread and the client's thread in the server's method: both wait for the server's object.
        r.DeadlockReport.ShouldNotBeNull().Split('\n').Count(l => l.EndsWith("waits for notification #1 'n'", StringComparison.Ordinal)).ShouldBe(2, r.DeadlockReport);
        k.NotifyStats.ClosedWakes.ShouldBe(0);
        log.Events.ShouldNotContain(e => e.Kind == EventKind.Wake && e.Code == (long)ErrorCode.ObjectClosed);
        callResult.ShouldBeLessThan(0);
        k.ShouldBalance();
        k.LiveNotifications.ShouldBe(0);
    }
}
