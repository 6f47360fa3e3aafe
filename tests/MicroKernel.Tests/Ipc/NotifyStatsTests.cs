using MicroKernel.Ipc.Notify;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// The notification family's counters (the run report's notification line) after one scenario that moves each of
/// them, compared exactly: a counter that is not counted, counted twice or counted down fails.
/// </summary>
public class NotifyStatsTests
{
    private const ulong Forever = NotifyLimits.Forever;

    [Fact]
    public void Every_counter_counts_exactly_what_happened()
    {
        var k = TestKernels.Boot();
        var seen = new List<long>();
        long dropped = 0, destroyed = 0;
        bool ownerDone = false, clientWaiting = false; // the programs take turns through these (the test host's variables)
        k.Spawn("owner", sys =>
        {
            var a = Notification.Create(sys, "a");
            sys.Notify(a.Handle, 3);                                             // notify 1, count up to 3
            for (int i = 0; i < 4; i++) seen.Add(sys.Syscall(SyscallNumber.Wait, (ulong)a.Handle, 0)); // 3 taken, 1 WouldBlock
            seen.Add(sys.Syscall(SyscallNumber.Wait, (ulong)a.Handle, 4));       // blocked 1, timed out 1
            int t = sys.CreateThread((s, _) => s.Syscall(SyscallNumber.Wait, (ulong)a.Handle, Forever));
            sys.Sleep(3);
            sys.Notify(a.Handle);                                                // notify 2, wakes it: blocked 2, taken 4
            seen.Add(sys.Join(t));

            int l = Notification.CreateLock(sys).Handle;
            seen.Add(sys.Syscall(SyscallNumber.Wait, (ulong)l, 0));              // taken 5
            int holder = sys.CreateThread((s, _) => s.Syscall(SyscallNumber.Wait, (ulong)l, Forever)); // ends holding it
            sys.Sleep(3);
            sys.Notify(l);                                                       // notify 3: blocked 3, taken 6
            seen.Add(sys.Join(holder));                                          // lock recovery 1
            seen.Add(sys.Syscall(SyscallNumber.Wait, (ulong)l, 0));              // taken 7, its holder had died: 1
            sys.Notify(l);                                                       // notify 4
            ownerDone = true;

            while (!clientWaiting) sys.Sleep(1);
            sys.Sleep(10);                                                       // the client's second waiter blocks
            a.Close();                                                           // its close wakes it: closed wake 2
            sys.NotifyClose(l);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            var a = Notification.OpenWhenCreated(sys, "a");
            while (!ownerDone) sys.Sleep(1);
            int w = sys.CreateThread((s, _) => s.Syscall(SyscallNumber.Wait, (ulong)a.Handle, Forever)); // blocked 4
            sys.Sleep(2);
            a.Close();                                                           // its last handle: closed wake 1
            dropped = sys.Join(w);
            var again = Notification.Open(sys, "a");
            int w2 = sys.CreateThread((s, _) => s.Syscall(SyscallNumber.Wait, (ulong)again.Handle, Forever)); // blocked 5
            clientWaiting = true;
            destroyed = sys.Join(w2);
            again.Close();
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString() ?? r.DeadlockReport);
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        k.ShouldBalance();
        long closed = (long)ErrorCode.ObjectClosed;
        seen.ShouldBe([0, 0, 0, (long)ErrorCode.WouldBlock, (long)ErrorCode.TimedOut, 0, 0, 0, 1]);
        (dropped, destroyed).ShouldBe((closed, closed));
        NotifyStats st = k.NotifyStats;
        (st.Created, st.Notifies, st.Waits, st.Blocked, st.TimedOut, st.ClosedWakes, st.LockRecoveries, st.MaxPending)
            .ShouldBe((2L, 4L, 7L, 5L, 1L, 2L, 1L, 3L));
        log.Events.Count(e => e.Kind == EventKind.Wake && e.Code == closed).ShouldBe(2);
        log.Events.Count(e => e.Kind == EventKind.Notify).ShouldBe(4);
    }
}
