using MicroKernel.Invariants;
using MicroKernel.Processes;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A syscall marks what it may change when it enters, not only when it returns: while it is blocked, the other
/// threads' check points re-run the invariants it may have broken (here a corruption made just before a wait is
/// caught by the next check point of the thread that runs meanwhile, even one of a syscall that declares no change,
/// not only after the wait returns).
/// </summary>
public sealed class BlockedSyscallCheckTests
{
    [Fact]
    public void A_state_broken_before_a_blocking_wait_is_caught_by_the_next_check_point_of_another_thread()
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 200_000, Check = CheckLevel.Syscall });
        int waiterTid = 0, otherTid = 0;
        bool notified = false;
        k.Spawn("pair", sys =>
        {
            waiterTid = sys.Tid;
            int go = sys.NotifyCreate("go");
            otherTid = sys.CreateThread((s, _) =>
            {
                SimThread waiter = k.Scheduler.LiveThreads.Single(t => t.Tid == waiterTid);
                while (waiter.State != SimThreadState.Blocked) s.Yield();
                s.Syscall(SyscallNumber.GetPid); // declares no change of its own, as yield
                notified = true;
                s.Notify(go); // marks everything: too late, the corruption must be caught before
                return 0;
            });
            k.RpcStats.ActiveGrants++; // breaks the RPC books; no code marks that
            sys.Wait(go);
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        // Caught at the other thread's first check point after the wait entered (its yield or getpid: which one depends
        // on whether it ran before the corruption), before it notifies.
        e.Where.ShouldBeOneOf($"after syscall yield of tid {otherTid} (pair/thread-1)", $"after syscall getpid of tid {otherTid} (pair/thread-1)");
        notified.ShouldBeFalse();
    }
}
