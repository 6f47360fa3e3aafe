using MicroKernel.Invariants;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A delivery point marks everything before it runs a handler, so the handler's own check points re-check what its
/// thread may have left broken just before: a corruption made right before the syscall whose entry runs the handler is
/// caught at the handler's first syscall, not only after the handler returns. The delivery here changes no memory
/// state of its own (an unsafe segment: no access to switch), so only that mark makes the handler's check see it.
/// </summary>
public sealed class HandlerCheckPointTests
{
    [Fact]
    public void A_corruption_before_a_delivery_is_caught_inside_the_handler()
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 200_000, Check = CheckLevel.Syscall });
        bool corrupted = false, handlerWentOn = false;
        int receiverTid = 0;
        Process? receiver = null;
        receiver = k.Spawn("receiver", sys =>
        {
            receiverTid = sys.Tid;
            sys.RegisterSegmentHandler((s, _) =>
            {
                s.Syscall(SyscallNumber.GetPid); // declares no change: only the delivery's mark makes it check
                handlerWentOn = true;
                return 0;
            });
            Notification.Create(sys, "ready").Notify();
            while (true)
            {
                // A probe from the test: the message is queued, so this yield's entry runs the handler.
                if (receiver!.PendingUpcalls > 0 && !corrupted)
                {
                    corrupted = true;
                    k.RpcStats.ActiveGrants++; // breaks the RPC books; no code marks that
                }
                sys.Yield();
            }
        });
        k.Spawn("sender", sys =>
        {
            Notification.OpenWhenCreated(sys, "ready").Wait();
            int connection = sys.ShmConnect(receiver.Pid);
            int segment = sys.ShmCreate(connection, 4096, ShmemFlags.Unsafe);
            sys.ShmSend(segment, 1);
            Notification.Create(sys, "never").Wait(); // stays alive (its exit would take the message back)
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Panic);
        corrupted.ShouldBeTrue();
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        e.Where.ShouldBe($"after syscall getpid of tid {receiverTid} (receiver/main)");
        handlerWentOn.ShouldBeFalse("the handler's getpid must not return");
    }
}
