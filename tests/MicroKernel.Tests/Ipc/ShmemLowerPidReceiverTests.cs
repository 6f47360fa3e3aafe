using MicroKernel.Ipc.Shmem;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// Owned shared memory with the roles the other tests seldom give: the higher pid of the pair creates and sends, the
/// lower pid receives. A connection keeps its two processes as A (lower pid) and B, so each side's address, the
/// peer, and the queue a torn-down segment's message leaves are looked up by side; here the receiver's side is A.
/// </summary>
public class ShmemLowerPidReceiverTests
{
    // The receiver, pid 1: maps a page of its own first (so its segment areas lie elsewhere than the sender's).
    private static Func<Sys, long> Receiver(Func<Sys, SegmentMessage, long> handler) => ShmemKit.Peer(handler, sys => sys.Map(4096));

    [Fact]
    public void The_higher_pid_creates_and_the_lower_pid_receives_at_its_own_address()
    {
        var k = ShmemKit.Boot();
        var seen = new List<SegmentMessage>();
        ulong senderAddress = 0, receiverArea = 0, read = 0;
        k.Spawn("receiver", Receiver((s, m) =>
        {
            seen.Add(m);
            receiverArea = k.ProcessOf(s).AddressSpace.Areas.Single(v => v.Segment == m.Segment).Start;
            s.Memory.WriteUInt64(m.Address, 0x5EED); // the receiver owns it now, at its own address
            read = s.Memory.ReadUInt64(m.Address);
            return 0;
        }));
        k.Spawn("creator", sys =>
        {
            ShmemKit.AwaitPeer(sys);
            int c = sys.ShmConnect(1);
            var s = Shmem.Create(sys, c, 4096);
            senderAddress = sys.ShmAddress(s.Id);
            s.Send(9);
            while (seen.Count == 0) sys.Yield();
            ShmemKit.StopPeer(sys);
            return 0;
        });
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        SegmentMessage got = seen.ShouldHaveSingleItem();
        got.SenderPid.ShouldBe(2);
        got.Type.ShouldBe(9UL);
        got.Address.ShouldBe(receiverArea, "the receiver's own mapping");
        got.Address.ShouldNotBe(senderAddress, "the receiver mapped a page first: the two areas differ");
        read.ShouldBe(0x5EEDUL);
        k.ShouldBalance();
    }

    [Fact]
    public void A_segment_destroyed_while_queued_for_the_lower_pid_leaves_only_the_other_message()
    {
        var k = ShmemKit.Boot();
        var seen = new List<int>();
        int first = 0, second = 0;
        k.Spawn("receiver", Receiver((_, m) =>
        {
            seen.Add(m.Segment);
            return 0;
        }));
        k.Spawn("creator", sys =>
        {
            ShmemKit.AwaitPeer(sys);
            int c = sys.ShmConnect(1);
            // Unsafe segments: their owner may destroy them while they are in flight.
            var a = Shmem.Create(sys, c, 4096, isUnsafe: true);
            var b = Shmem.Create(sys, c, 4096, isUnsafe: true);
            (first, second) = (a.Id, b.Id);
            a.Send(1);
            b.Send(2);
            sys.ShmDestroy(a.Id); // before the receiver ran: its message leaves the receiver's queue, b's stays
            while (seen.Count == 0) sys.Yield();
            for (int i = 0; i < 20; i++) sys.Yield();
            ShmemKit.StopPeer(sys);
            return 0;
        });
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        seen.ShouldBe([second], $"segment {first} was destroyed before its delivery");
        k.ShouldBalance();
    }
}
