using MicroKernel.Ipc.Shmem;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

// Segments waiting in the receiver's queue while its handler runs: the handler removed meanwhile, or the connection
// closed under them.
public partial class ShmemTests
{
    // The peer's handler: the first segment holds it until the owner notifies "release", after which it runs `during`;
    // every handler run replies 7.
    private static Func<Sys, long> HoldingPeer(Action<Sys> during)
    {
        int runs = 0;
        return Peer((s, _) =>
        {
            if (++runs == 1)
            {
                Notification.Open(s, "in-handler").Notify();
                Notification.Open(s, "release").Wait();
                during(s);
            }
            return 7;
        });
    }

    private static void WaitInFlight(Kernel k, Sys sys, int segment)
    {
        while (k.Family<ShmemIpc>().Segments.Single(s => s.Id == segment).State != SegmentState.InFlight) sys.Yield();
    }

    [Fact]
    public void A_handler_removed_while_segments_wait_gives_them_to_the_receiver_and_a_caller_hears_NoHandler()
    {
        var k = Boot();
        long removed = -1, called = 0, sendQueued = -1, sendAfter = 0, destroyLent = -1;
        Protection peerOnQueued = Protection.None, mineOnCalled = Protection.None;
        k.Spawn("owner", sys =>
        {
            var inHandler = Notification.Create(sys, "in-handler");
            var release = Notification.Create(sys, "release");
            var callDone = Notification.Create(sys, "call-done");
            AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            Shmem first = Shmem.Create(sys, c, 4096), queued = Shmem.Create(sys, c, 4096), lent = Shmem.Create(sys, c, 4096);
            first.Send(1);
            inHandler.Wait();
            sendQueued = Raw(sys, SyscallNumber.ShmSend, (ulong)queued.Id, 2);
            sys.CreateThread((t, _) =>
            {
                called = Raw(t, SyscallNumber.ShmCall, (ulong)lent.Id, 3);
                Notification.Open(t, "call-done").Notify();
                return 0;
            });
            WaitInFlight(k, sys, lent.Id);
            release.Notify();
            callDone.Wait();
            peerOnQueued = k.FindProcess(2)!.AddressSpace.Areas.Single(v => v.Segment == queued.Id).Protection;
            mineOnCalled = k.AreaAt(sys, lent.Get()).Protection;
            sendAfter = Raw(sys, SyscallNumber.ShmSend, (ulong)queued.Id, 2);
            destroyLent = Raw(sys, SyscallNumber.ShmDestroy, (ulong)lent.Id);
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", HoldingPeer(s => removed = Raw(s, SyscallNumber.ShmHandler, 0)));
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        sendQueued.ShouldBe(0);
        removed.ShouldBe(0);
        called.ShouldBe((long)ErrorCode.NoHandler, "the call reached a receiver with no handler");
        mineOnCalled.ShouldBe(Protection.ReadWrite, "the lent segment came back to the caller");
        destroyLent.ShouldBe(0);
        peerOnQueued.ShouldBe(Protection.ReadWrite, "the sent segment is the receiver's, handler or not");
        sendAfter.ShouldBe((long)ErrorCode.NotOwner);
        log.Events.Count(e => e.Kind == EventKind.Upcall).ShouldBe(1, "only the first segment ran a handler");
        log.Events.Where(e => e.Kind == EventKind.Delivery).Select(e => (e.Code, e.Result))
            .ShouldBe([(1L, 7L), (2L, (long)ErrorCode.NoHandler), (3L, (long)ErrorCode.NoHandler)]);
        k.ShouldBalance();
    }

    [Fact]
    public void Removing_a_handler_that_was_never_set_is_allowed()
    {
        var k = Boot();
        long removed = -1;
        k.Spawn("plain", sys =>
        {
            removed = Raw(sys, SyscallNumber.ShmHandler, 0);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        removed.ShouldBe(0);
    }

    [Fact]
    public void Closing_a_connection_drops_its_queued_segment_and_the_upcall_it_counted()
    {
        var k = Boot();
        int pendingBefore = -1, pendingAfter = -1;
        long address = 0;
        k.Spawn("owner", sys =>
        {
            var inHandler = Notification.Create(sys, "in-handler");
            var release = Notification.Create(sys, "release");
            AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            Shmem first = Shmem.Create(sys, c, 4096), queued = Shmem.Create(sys, c, 8192);
            first.Send(1);
            inHandler.Wait();
            queued.Send(2);
            Process peer = k.FindProcess(2)!;
            pendingBefore = peer.PendingUpcalls;
            Raw(sys, SyscallNumber.ShmClose, (ulong)c).ShouldBe(0);
            pendingAfter = peer.PendingUpcalls;
            address = Raw(sys, SyscallNumber.ShmAddress, (ulong)queued.Id);
            release.Notify();
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", HoldingPeer(_ => { }));
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        pendingBefore.ShouldBe(1, "the queued segment's upcall");
        pendingAfter.ShouldBe(0, "dropped with the segment");
        address.ShouldBe((long)ErrorCode.NoSuchSegment);
        log.Events.Count(e => e.Kind == EventKind.Upcall).ShouldBe(1, "the dropped segment never reached the handler");
        k.Family<ShmemIpc>().Segments.ShouldBeEmpty();
        k.Frames.UserCount.ShouldBe(0);
        k.ShouldBalance();
    }
}
