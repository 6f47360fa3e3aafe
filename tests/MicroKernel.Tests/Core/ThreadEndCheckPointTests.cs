using MicroKernel.Invariants;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A thread's end marks everything for the invariant checks, also when no syscall ends it (its body returned): the
/// next check point of the thread that runs next re-checks what the ended thread may have left broken.
/// </summary>
public sealed class ThreadEndCheckPointTests
{
    [Fact]
    public void A_corruption_left_by_a_returning_thread_is_caught_at_the_next_threads_first_check_point()
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 200_000, Check = CheckLevel.Syscall });
        bool corrupted = false, mainWentOn = false;
        int mainTid = 0;
        k.Spawn("pair", sys =>
        {
            mainTid = sys.Tid;
            sys.CreateThread((s, _) =>
            {
                s.Yield();
                k.RpcStats.ActiveGrants++; // breaks the RPC books; no code marks that
                corrupted = true;
                return 0; // the body returns: no syscall ends this thread
            });
            while (true)
            {
                sys.Yield(); // declares no change of its own
                if (!corrupted) continue;
                sys.Syscall(SyscallNumber.GetPid);
                mainWentOn = true;
                return 0;
            }
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        e.Where.ShouldBe($"after syscall yield of tid {mainTid} (pair/main)");
        mainWentOn.ShouldBeFalse();
    }
}
