using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Core;

/// <summary>Kernel bugs <c>mk fuzz</c> found, each pinned by the smallest program that showed it.</summary>
public class FuzzFoundTests
{
    // mk fuzz --syscalls 1500 --from-trace (mk run pages --trace): a page-send handler that interrupted pause() called
    // pause() again. The thread was queued twice among its process's pause waiters, the inner wait's timeout took
    // one entry out and cleared the thread's wait, and the stale entry stayed: at the process's end the kernel's
    // "wake every pause waiter" loop never emptied the queue and spun forever (the host watchdog fired, the run hung).
    // The fix: a thread waits in one place; a second blocking wait from a handler that interrupted one is NotPermitted,
    // as wait() already was.
    [Theory]
    [InlineData(SyscallNumber.Pause)]
    [InlineData(SyscallNumber.ThreadJoin)]
    public void A_handler_that_interrupted_a_pause_cannot_block_again_and_the_process_still_ends(SyscallNumber nested)
    {
        var k = TestKernels.Boot(frames: 256);
        long inner = 0;
        k.Spawn("receiver", sys =>
        {
            int sleeper = sys.CreateThread((s, _) => { s.Sleep(50); return 0; });
            sys.RegisterHandler(1, (s, m) =>
            {
                // pause(2), or join a thread that is still sleeping.
                inner = nested == SyscallNumber.Pause ? s.Syscall(SyscallNumber.Pause, 2) : s.Syscall(SyscallNumber.ThreadJoin, (ulong)sleeper);
                return true;
            });
            sys.Syscall(SyscallNumber.Pause, 0).ShouldBe(0);
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            ulong page = sys.Map(4096);
            sys.Sleep(5); // the receiver is in pause() by now
            sys.Send(1, 1, page, 1);
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        r.Deterministic.ShouldBeTrue();
        inner.ShouldBe((long)ErrorCode.NotPermitted);
        k.FindProcess(1)!.ExitStatus.ShouldBe(0);
        k.ShouldBalance();
    }
}
