using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// The kernel's shared-memory messages come from a pool and go back to it exactly once. A connection closed from
/// inside the handler of a call tears down the segment whose message that handler is still running: the teardown
/// must leave the message to the delivery, which gives it back when the handler returns. Given back twice, the pool
/// would hand the same object to two later sends, and the first of them would be lost.
/// </summary>
public class ShmemMessageReuseTests
{
    [Fact]
    public void A_connection_closed_inside_a_calls_handler_leaves_later_sends_their_own_messages()
    {
        var k = ShmemKit.Boot();
        var seen = new List<(int Segment, ulong Type)>();
        long call = 0;
        int second = 0, third = 0;
        k.Spawn("client", sys =>
        {
            ShmemKit.AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            int first = sys.ShmCreate(c, 4096);
            call = sys.Syscall(SyscallNumber.ShmCall, (ulong)first, 1); // the server closes the connection in its handler
            int c2 = sys.ShmConnect(2);
            second = sys.ShmCreate(c2, 4096);
            third = sys.ShmCreate(c2, 4096);
            sys.ShmSend(second, 2); // both queued before the server runs
            sys.ShmSend(third, 3);
            while (seen.Count < 2) sys.Yield();
            ShmemKit.StopPeer(sys);
            return 0;
        });
        k.Spawn("server", ShmemKit.Peer((s, m) =>
        {
            if (m.Type == 1) s.ShmClose(s.ShmConnect(m.SenderPid));
            else seen.Add((m.Segment, m.Type));
            return 0;
        }));
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        call.ShouldBe((long)ErrorCode.PeerFaulted, "the segment went away before the handler gave it back");
        seen.ShouldBe([(second, 2UL), (third, 3UL)]);
        k.ShouldBalance();
    }
}
