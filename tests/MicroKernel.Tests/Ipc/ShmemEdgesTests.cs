using MicroKernel.Ipc.Shmem;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// Edges of owned shared memory (kernel/Ipc/Shmem) the protocol tests pass over: the largest size and type, ids a
/// failed create does not use, what the handler and the trace learn of each delivery (send and call, owned and
/// unsafe), a negative handler result, each side's own address, and ids too large to be any.
/// </summary>
public class ShmemEdgesTests
{
    private static Kernel Boot() => ShmemKit.Boot();

    private static long Raw(Sys sys, SyscallNumber n, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0) => ShmemKit.Raw(sys, n, a0, a1, a2);

    // The peer (pid 2): serves segments with `handler`, says "ready", and polls "stop".
    private static Func<Sys, long> Peer(Func<Sys, SegmentMessage, long> handler) => ShmemKit.Peer(handler);

    private static void AwaitPeer(Sys sys) => ShmemKit.AwaitPeer(sys);

    private static void StopPeer(Sys sys) => ShmemKit.StopPeer(sys);

    [Fact]
    public void The_largest_size_is_not_an_invalid_argument_and_a_failed_create_uses_no_segment_id()
    {
        var k = Boot();
        var r = new Dictionary<string, long>();
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            ulong c = (ulong)sys.ShmConnect(2);
            r["first"] = Raw(sys, SyscallNumber.ShmCreate, c, 4096);
            r["max"] = Raw(sys, SyscallNumber.ShmCreate, c, ShmemIpc.MaxSegmentBytes);
            r["max+1"] = Raw(sys, SyscallNumber.ShmCreate, c, ShmemIpc.MaxSegmentBytes + 1);
            r["next"] = Raw(sys, SyscallNumber.ShmCreate, c, 4096);
            r["destroy"] = Raw(sys, SyscallNumber.ShmDestroy, (ulong)r["next"]);
            r["after-destroy"] = Raw(sys, SyscallNumber.ShmCreate, c, 4096);
            r["huge-connection"] = Raw(sys, SyscallNumber.ShmCreate, c | (1UL << 32), 4096);
            r["huge-segment"] = Raw(sys, SyscallNumber.ShmAddress, (ulong)r["first"] | (1UL << 32));
            r["huge-close"] = Raw(sys, SyscallNumber.ShmClose, c | (1UL << 32));
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", Peer((_, _) => 0));
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        r["first"].ShouldBe(1);
        r["max"].ShouldBe((long)ErrorCode.OutOfMemory, "256 MiB is allowed, this machine just has less");
        r["max+1"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["next"].ShouldBe(2, "the failed creates took no id");
        r["destroy"].ShouldBe(0);
        r["after-destroy"].ShouldBe(3, "ids are never reused");
        r["huge-connection"].ShouldBe((long)ErrorCode.NoSuchConnection, "not connection 1 with its high bits dropped");
        r["huge-segment"].ShouldBe((long)ErrorCode.NoSuchSegment);
        r["huge-close"].ShouldBe((long)ErrorCode.NoSuchConnection);
        k.ShouldBalance();
    }

    [Fact]
    public void A_create_on_a_connection_whose_peer_exited_is_ProcessExited_and_on_one_closed_NoSuchConnection()
    {
        var k = Boot();
        long exited = 0, closed = 0, again = 0;
        Process? peer = null;
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            StopPeer(sys);
            while (peer!.State != ProcessState.Exited) sys.Sleep(1);
            exited = Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 4096);
            again = Raw(sys, SyscallNumber.ShmConnect, 3);
            Raw(sys, SyscallNumber.ShmClose, (ulong)again).ShouldBe(0);
            closed = Raw(sys, SyscallNumber.ShmCreate, (ulong)again, 4096);
            Notification.Open(sys, "stop3").Notify();
            return 0;
        });
        peer = k.Spawn("peer", Peer((_, _) => 0));
        k.Spawn("third", sys =>
        {
            var stop = Notification.Create(sys, "stop3");
            while (!stop.Wait(0)) sys.Yield();
            return 0;
        });
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        exited.ShouldBe((long)ErrorCode.ProcessExited);
        again.ShouldBe(2);
        closed.ShouldBe((long)ErrorCode.NoSuchConnection);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void The_handler_and_the_trace_learn_the_sender_the_type_the_address_the_size_and_the_kind(bool call, bool isUnsafe)
    {
        var k = Boot();
        SegmentMessage seen = default;
        ulong peerAddress = 0, ownerAddress = 0;
        long result = 1;
        int id = 0;
        const ulong Type = ShmemIpc.MaxType - 1;
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 3 * 4096, isUnsafe);
            id = s.Id;
            ownerAddress = sys.ShmAddress(s.Id);
            result = call ? Raw(sys, SyscallNumber.ShmCall, (ulong)s.Id, Type) : Raw(sys, SyscallNumber.ShmSend, (ulong)s.Id, Type);
            while (seen.Segment == 0) sys.Yield();
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", sys =>
        {
            sys.Map(4096); // so the peer's space puts the segment elsewhere than the owner's
            return Peer((s, m) =>
            {
                seen = m;
                peerAddress = s.ShmAddress(m.Segment);
                return -4; // a negative result is no error code: the reply is 0
            })(sys);
        });
        var (run, log) = k.RunLogged();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        result.ShouldBe(0);
        seen.ShouldBe(new SegmentMessage(id, Type, peerAddress, 3 * 4096, 1, call, isUnsafe));
        peerAddress.ShouldNotBe(ownerAddress, "each side maps it where its own space chose");

        ulong packed = 1 | (call ? ShmemUpcall.CallBit : 0) | (isUnsafe ? ShmemUpcall.UnsafeBit : 0);
        KernelEvent upcall = log.Events.Single(e => e.Kind == EventKind.Upcall && e.Text is not null);
        KernelEvent delivery = log.Events.Single(e => e.Kind == EventKind.Delivery && e.Pid == 2);
        foreach (KernelEvent e in new[] { upcall, delivery })
        {
            e.Pid.ShouldBe(2);
            e.Code.ShouldBe((long)Type);
            e.A0.ShouldBe(1UL);
            e.A1.ShouldBe(peerAddress);
            e.A2.ShouldBe(3UL * 4096);
            e.A3.ShouldBe(packed);
        }
        upcall.A4.ShouldNotBe(0UL, "the handler's entry");
        delivery.Result.ShouldBe(0);
        string seg = $"shmem segment {id} of connection 1 (pids 1 and 2)";
        upcall.Text.ShouldBe(isUnsafe ? $"unsafe {seg}" : call ? $"{seg}, owned by pid 2 (lent in a call)" : $"{seg}, owned by pid 2");
        delivery.Text.ShouldBe(isUnsafe ? $"unsafe {seg}" : call ? $"{seg}, owned by pid 1" : $"{seg}, owned by pid 2",
            "a call's segment is back with its caller when the delivery is traced");
        k.ShouldBalance();
    }

    [Fact]
    public void A_fault_inside_a_later_page_of_one_of_several_segments_names_that_segment()
    {
        var k = Boot();
        ulong touched = 0;
        Process owner = k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            var first = Shmem.Create(sys, c, 4096);
            var second = Shmem.Create(sys, c, 3 * 4096);
            first.WriteUInt64(0, 1);
            touched = second.Get() + 2 * 4096 + 8;
            second.Send(1);
            sys.Memory.WriteUInt64(touched, 2); // the use after send, two pages in
            return 0;
        });
        k.Spawn("peer", sys =>
        {
            sys.RegisterSegmentHandler((_, _) => 0);
            Notification.Create(sys, "ready").Notify();
            sys.Pause(50); // the segment never arrives: the owner's death tears it down first
            return 0;
        });
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        FaultRecord fault = owner.Faults.ShouldHaveSingleItem();
        fault.Address.ShouldBe(touched);
        fault.Detail.ShouldBe("shmem segment 2 of connection 1 (pids 1 and 2), in flight to pid 2");
    }

    // A killed process is released twice (at the kill, then when its last thread has unwound): the second release
    // must find the connection it already left, not close it under the survivor.
    [Fact]
    public void A_surviving_segment_outlives_a_killed_peer_whose_threads_unwind_later()
    {
        var k = Boot();
        Process? leaver = null;
        ulong seen = 0, at = 0;
        long address = 0, close = 1;
        k.Spawn("survivor", sys =>
        {
            AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            long pool = Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 4096, (ulong)(ShmemFlags.Unsafe | ShmemFlags.Survives));
            at = sys.ShmAddress((int)pool);
            sys.Memory.WriteUInt64(at, 0x5A);
            k.KillProcess(leaver!, Kernel.KilledStatus);
            while (leaver!.State != ProcessState.Exited) sys.Sleep(1);
            seen = sys.Memory.ReadUInt64(at);
            address = Raw(sys, SyscallNumber.ShmAddress, (ulong)pool);
            close = Raw(sys, SyscallNumber.ShmClose, (ulong)c);
            return 0;
        });
        leaver = k.Spawn("leaver", sys =>
        {
            Notification.Create(sys, "ready").Notify();
            sys.Sleep(50);
            return 0;
        });
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        k.Processes.First().Faults.ShouldBeEmpty();
        seen.ShouldBe(0x5AUL);
        address.ShouldBe((long)at);
        close.ShouldBe(0);
        k.ShouldBalance();
    }
}
