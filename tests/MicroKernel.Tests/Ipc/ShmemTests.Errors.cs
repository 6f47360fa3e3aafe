using MicroKernel.Hardware;
using MicroKernel.Invariants;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

// The error paths of docs/syscalls.md that the main file does not reach (shm_call's own, shm_destroy's NoSuchSegment
// and NotThisPair, PeerFaulted from a close and from a kill), and when a use after send is caught.
public partial class ShmemTests
{
    [Fact]
    public void Call_refuses_what_send_refuses_and_destroy_refuses_strangers_and_unknown_segments_changing_nothing()
    {
        var k = Boot(queue: 1);
        var r = new Dictionary<string, long>();
        bool stillMine = false;
        k.Spawn("owner", sys =>
        {
            var inHandler = Notification.Create(sys, "in-handler");
            var release = Notification.Create(sys, "release");
            var strangerDone = Notification.Create(sys, "stranger-done");
            AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            int s1 = sys.ShmCreate(c, 4096), s2 = sys.ShmCreate(c, 4096), s3 = sys.ShmCreate(c, 4096);
            r["type"] = Raw(sys, SyscallNumber.ShmCall, (ulong)s3, ShmemIpc.MaxType);
            r["nosegment"] = Raw(sys, SyscallNumber.ShmCall, 99, 1);
            r["destroy-nosegment"] = Raw(sys, SyscallNumber.ShmDestroy, 99);
            r["send1"] = Raw(sys, SyscallNumber.ShmSend, (ulong)s1, 1);
            r["inflight"] = Raw(sys, SyscallNumber.ShmCall, (ulong)s1, 1);
            // The peer's handler holds s1 until "release": its queue (capacity 1) takes s2, and a call of s3 is refused.
            inHandler.Wait();
            r["send2"] = Raw(sys, SyscallNumber.ShmSend, (ulong)s2, 1);
            r["full"] = Raw(sys, SyscallNumber.ShmCall, (ulong)s3, 1);
            release.Notify();
            strangerDone.Wait();
            r["notowner"] = Raw(sys, SyscallNumber.ShmCall, (ulong)s1, 1);
            sys.Memory.WriteUInt64(sys.ShmAddress(s3), 7); // every refusal left s3 with its owner
            stillMine = k.AreaAt(sys, sys.ShmAddress(s3)).Protection == Protection.ReadWrite;
            StopPeer(sys);
            return 0;
        });
        int got = 0;
        k.Spawn("peer", Peer((s, _) =>
        {
            if (++got == 1)
            {
                Notification.Open(s, "in-handler").Notify();
                Notification.Open(s, "release").Wait();
            }
            if (got == 2) Notification.Create(s, "got2").Notify();
            return 0;
        }));
        k.Spawn("stranger", sys =>
        {
            Notification.OpenWhenCreated(sys, "got2").Wait();
            r["stranger-call"] = Raw(sys, SyscallNumber.ShmCall, 3, 1);
            r["stranger-destroy"] = Raw(sys, SyscallNumber.ShmDestroy, 3);
            Notification.Open(sys, "stranger-done").Notify();
            return 0;
        });
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        r["type"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["nosegment"].ShouldBe((long)ErrorCode.NoSuchSegment);
        r["destroy-nosegment"].ShouldBe((long)ErrorCode.NoSuchSegment);
        r["send1"].ShouldBe(0);
        r["inflight"].ShouldBe((long)ErrorCode.AlreadySent);
        r["send2"].ShouldBe(0);
        r["full"].ShouldBe((long)ErrorCode.QueueFull);
        r["notowner"].ShouldBe((long)ErrorCode.NotOwner);
        r["stranger-call"].ShouldBe((long)ErrorCode.NotThisPair);
        r["stranger-destroy"].ShouldBe((long)ErrorCode.NotThisPair);
        stillMine.ShouldBeTrue();
        k.ShouldBalance();
    }

    // PeerFaulted has three causes in docs/shmem.md: the peer faults in the handler (the main file), closes the
    // connection, or dies (here: killed from outside) before giving the segment back.
    [Theory]
    [InlineData("close")]
    [InlineData("kill")]
    public void A_call_whose_peer_closes_the_connection_or_is_killed_in_the_handler_returns_PeerFaulted(string how)
    {
        var k = Boot();
        long call = 0, address = 0;
        Process? callee = null;
        k.Spawn("caller", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 8192);
            call = Raw(sys, SyscallNumber.ShmCall, (ulong)s.Id, 9);
            address = Raw(sys, SyscallNumber.ShmAddress, (ulong)s.Id);
            if (how == "close") StopPeer(sys); // a killed peer is gone already
            return 0;
        });
        callee = k.Spawn("callee", Peer((s, m) =>
        {
            if (how == "close")
            {
                s.ShmClose(s.ShmConnect(1));
                return 5;
            }
            k.KillProcess(callee!, Kernel.KilledStatus); // as a supervisor or `mk kill` would, mid-handler
            return 5;
        }));
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        call.ShouldBe((long)ErrorCode.PeerFaulted);
        address.ShouldBe((long)ErrorCode.NoSuchSegment, "the segment went with the connection");
        k.Family<ShmemIpc>().Segments.ShouldBeEmpty();
        k.ShouldBalance();
    }

    // A use after send is caught at the access, as a fault, before anything else runs (no switch, no delivery), and
    // every check point on the way (each syscall's end, each scheduling point) finds the ownership rule holding: the
    // sender lost access inside shm_send.
    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_use_after_send_faults_at_the_access_and_ownership_holds_at_every_check_point(ProtectionModel model)
    {
        var k = new Kernel(new KernelConfig { Frames = 512, Protection = model, MaxTicks = 200_000, Check = CheckLevel.Tick });
        ulong kept = 0;
        Process owner = k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            kept = s.Get();
            sys.Memory.WriteUInt64(kept, 1); // owned: fine (and the TLB holds the page now)
            s.Send(1);
            sys.Memory.WriteUInt64(kept, 2); // the use after send
            return 0;
        });
        k.Spawn("peer", Peer());
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldNotBe(RunOutcome.Panic, r.Panic?.ToString());
        FaultRecord fault = owner.Faults.ShouldHaveSingleItem();
        fault.Address.ShouldBe(kept);
        fault.Access.ShouldBe(AccessKind.Write);
        fault.Detail.ShouldBe("shmem segment 1 of connection 1 (pids 1 and 2), in flight to pid 2");
        KernelEvent faulted = log.Events.First(e => e.Kind == EventKind.Fault);
        KernelEvent sent = log.Events.Last(e => e.Seq < faulted.Seq && e.Kind == EventKind.SyscallExit);
        k.Syscalls.Find(sent.Code)!.Name.ShouldBe("shm_send");
        sent.Pid.ShouldBe(owner.Pid);
        log.Events.ShouldNotContain(e => e.Seq > sent.Seq && e.Seq < faulted.Seq && (e.Kind == EventKind.Switch || e.Kind == EventKind.Upcall),
            "the fault is the very next thing after the send: no switch, no delivery");
    }
}
