using MicroKernel.Hardware;
using MicroKernel.Invariants;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>Owned shared-memory segments (kernel/Ipc/Shmem, docs/shmem.md): the protocol, ownership and every error.</summary>
public partial class ShmemTests
{
    private static Kernel Boot(ProtectionModel model = ProtectionModel.Paging, int frames = 512, int queue = 16) =>
        new(new KernelConfig { Frames = frames, Protection = model, MaxTicks = 200_000, Check = CheckLevel.Syscall, MessageQueueCapacity = queue });

    // The peer: binds `handler` (a do-nothing one by default), creates the public objects "ready" and "stop", says
    // it is ready and serves segments until someone notifies "stop". It outlives the objects others open.
    private static Func<Sys, long> Peer(Func<Sys, SegmentMessage, long>? handler = null, bool bind = true) => sys =>
    {
        if (bind) sys.RegisterSegmentHandler(handler ?? ((_, _) => 0));
        var stop = Notification.Create(sys, "stop");
        Notification.Create(sys, "ready").Notify();
        // Polls, never blocks: a handler may wait itself, which it may not do when it interrupted a wait (or pause).
        while (!stop.Wait(0)) sys.Yield();
        return 0;
    };

    private static void AwaitPeer(Sys sys) => Notification.OpenWhenCreated(sys, "ready").Wait();

    private static void StopPeer(Sys sys) => Notification.Open(sys, "stop").Notify();

    private static long Raw(Sys sys, SyscallNumber n, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0) => sys.Syscall(n, a0, a1, a2);

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void The_seeds_protocol_runs_and_a_use_after_send_faults_naming_the_segment_and_its_owner(ProtectionModel model)
    {
        var k = Boot(model);
        Process parent = k.Spawn("shmem-parent", "2");
        Process child = k.Spawn("shmem-child", "stale");
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        string console = k.ConsoleOutput.ToString();
        console.ShouldContain("parent: get() after the send is refused");
        console.ShouldContain("parent: GiveAndGetBack from pid 2: 'the child was here'");
        console.ShouldContain("child: GiveAndGetBack returned 42; the segment says 'the parent had it back'");
        console.ShouldContain("parent: ThanksDone, the segment says 'thanks from the child'");
        console.ShouldNotContain("(wrong)");
        parent.ExitStatus.ShouldBe(0);
        FaultRecord fault = child.Faults.ShouldHaveSingleItem();
        fault.Access.ShouldBe(AccessKind.Write);
        fault.Detail.ShouldBe("shmem segment 1 of connection 1 (pids 1 and 2), owned by pid 1");
        log.Events.Count(e => e.Kind == EventKind.Upcall && e.Text is not null).ShouldBe(3);
        k.Family<ShmemIpc>().Segments.ShouldBeEmpty("the child's exit tore the connection down");
        k.Frames.UserCount.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void Ownership_flips_the_page_table_entries_and_the_sender_loses_access_before_the_receiver_gains_it()
    {
        var k = Boot();
        ulong peerAddress = 0;
        Protection peerBefore = Protection.ReadWrite | Protection.Execute, mineAfterSend = Protection.ReadWrite | Protection.Execute, peerAtHandler = Protection.None, mineAtHandler = Protection.ReadWrite | Protection.Execute;
        ulong pteAfterSend = ulong.MaxValue;
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 8192);
            ulong mine = s.Get();
            peerBefore = k.FindProcess(2)!.AddressSpace.Areas.Single(v => v.Segment == s.Id).Protection;
            s.Send(5);
            mineAfterSend = k.AreaAt(sys, mine).Protection;
            pteAfterSend = ((PagedAddressSpace)k.ProcessOf(sys).AddressSpace).QueryEntry(mine);
            Notification.Open(sys, "done").Wait();
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", sys =>
        {
            var done = Notification.Create(sys, "done");
            var stop = Notification.Create(sys, "stop");
            sys.RegisterSegmentHandler((s, m) =>
            {
                peerAddress = m.Address;
                peerAtHandler = k.AreaAt(s, m.Address).Protection;
                mineAtHandler = k.FindProcess(1)!.AddressSpace.Areas.Single(v => v.Segment == m.Segment).Protection;
                s.Memory.WriteUInt64(m.Address + 8184, 7); // the owner may touch the last word
                done.On(s).Notify();
                return 0;
            });
            Notification.Create(sys, "ready").Notify();
            while (!stop.Wait(0)) sys.Pause(8);
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        peerBefore.ShouldBe(Protection.None);
        mineAfterSend.ShouldBe(Protection.None);
        (pteAfterSend & Hardware.Paging.Pte.Present).ShouldBe(0UL, "the sender's PTE is not present once it sent");
        peerAtHandler.ShouldBe(Protection.ReadWrite);
        mineAtHandler.ShouldBe(Protection.None);
        peerAddress.ShouldNotBe(0UL);
        k.ShouldBalance();
    }

    [Fact]
    public void The_view_refuses_use_after_send_and_a_kept_pointer_faults()
    {
        var k = Boot();
        string refused = "";
        Process sender = k.Spawn("sender", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 100);
            s.WriteUInt64(0, 1);
            ulong kept = s.Get();
            s.Send(1);
            s.Owned.ShouldBeFalse();
            try { s.ReadUInt64(0); } catch (InvalidOperationException e) { refused = e.Message; }
            sys.Memory.ReadUInt64(kept); // faults: the peer owns the segment (in flight to it)
            return 0;
        });
        k.Spawn("peer", sys =>
        {
            sys.RegisterSegmentHandler((_, _) => 0);
            Notification.Create(sys, "ready").Notify();
            sys.Pause(50); // the segment never arrives: the sender's death tears it down first
            return 0;
        });
        var (r, _) = k.RunLogged();
        refused.ShouldBe("shmem segment 1 was sent: this process does not own it");
        FaultRecord f = sender.Faults.ShouldHaveSingleItem();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        f.Detail.ShouldStartWith("shmem segment 1 of connection 1 (pids 1 and 2), ");
        f.Detail.ShouldContain("pid 2");
        r.Outcome.ShouldBe(RunOutcome.Completed);
        k.ShouldBalance();
    }

    [Fact]
    public void Both_sides_get_the_same_connection_and_connect_errors_are_refused()
    {
        var k = Boot();
        var results = new Dictionary<string, long>();
        k.Spawn("early", _ => 0);
        k.Spawn("a", sys =>
        {
            var bDone = Notification.Create(sys, "b-done");
            sys.Sleep(5);
            results["self"] = Raw(sys, SyscallNumber.ShmConnect, 2);
            results["none"] = Raw(sys, SyscallNumber.ShmConnect, 99);
            results["huge"] = Raw(sys, SyscallNumber.ShmConnect, 1UL << 40);
            results["exited"] = Raw(sys, SyscallNumber.ShmConnect, 1);
            results["a"] = Raw(sys, SyscallNumber.ShmConnect, 3);
            Notification.OpenWhenCreated(sys, "a-done").Notify();
            bDone.Wait();
            return 0;
        });
        k.Spawn("b", sys =>
        {
            Notification.Create(sys, "a-done").Wait();
            results["b"] = Raw(sys, SyscallNumber.ShmConnect, 2);
            Notification.Open(sys, "b-done").Notify();
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        results["self"].ShouldBe((long)ErrorCode.InvalidArgument);
        results["none"].ShouldBe((long)ErrorCode.NoSuchProcess);
        results["huge"].ShouldBe((long)ErrorCode.InvalidArgument);
        results["exited"].ShouldBe((long)ErrorCode.ProcessExited);
        results["a"].ShouldBe(1);
        results["b"].ShouldBe(1, "the pair's one connection");
    }

    [Fact]
    public void Create_address_send_destroy_and_close_refuse_every_bad_argument()
    {
        var k = Boot(queue: 1);
        var r = new Dictionary<string, long>();
        k.Spawn("owner", sys =>
        {
            var inHandler = Notification.Create(sys, "in-handler");
            var release = Notification.Create(sys, "release");
            var strangerDone = Notification.Create(sys, "stranger-done");
            AwaitPeer(sys);
            ulong c = (ulong)sys.ShmConnect(2);
            r["size0"] = Raw(sys, SyscallNumber.ShmCreate, c, 0);
            r["huge"] = Raw(sys, SyscallNumber.ShmCreate, c, ShmemIpc.MaxSegmentBytes + 1);
            r["flags"] = Raw(sys, SyscallNumber.ShmCreate, c, 4096, 2);
            r["noconn"] = Raw(sys, SyscallNumber.ShmCreate, 77, 4096);
            r["oom"] = Raw(sys, SyscallNumber.ShmCreate, c, 4096UL * 600);
            r["nosegment-address"] = Raw(sys, SyscallNumber.ShmAddress, 99);
            int s1 = sys.ShmCreate((int)c, 4096), s2 = sys.ShmCreate((int)c, 4096), s3 = sys.ShmCreate((int)c, 4096);
            r["type"] = Raw(sys, SyscallNumber.ShmSend, (ulong)s1, ShmemIpc.MaxType);
            r["nosegment-send"] = Raw(sys, SyscallNumber.ShmSend, 99, 1);
            r["unmap"] = Raw(sys, SyscallNumber.Unmap, sys.ShmAddress(s1), 4096);
            r["protect"] = Raw(sys, SyscallNumber.Protect, sys.ShmAddress(s1), 4096, (ulong)Protection.Read);
            sys.RegisterHandler(1, (_, _) => true);
            r["pagesend"] = sys.Syscall(SyscallNumber.Send, 0, 1, sys.ShmAddress(s1), 1, (ulong)SendFlags.ToSelf);
            r["send1"] = Raw(sys, SyscallNumber.ShmSend, (ulong)s1, 1);
            r["again"] = Raw(sys, SyscallNumber.ShmSend, (ulong)s1, 1);
            r["destroy-inflight"] = Raw(sys, SyscallNumber.ShmDestroy, (ulong)s1);
            // The peer's handler holds s1 and waits for "release": handlers do not nest, so its queue (capacity 1)
            // takes s2 and refuses s3.
            inHandler.Wait();
            r["send2"] = Raw(sys, SyscallNumber.ShmSend, (ulong)s2, 1);
            r["full"] = Raw(sys, SyscallNumber.ShmSend, (ulong)s3, 1);
            release.Notify();
            strangerDone.Wait();
            r["notowner-send"] = Raw(sys, SyscallNumber.ShmSend, (ulong)s1, 1);
            r["notowner-destroy"] = Raw(sys, SyscallNumber.ShmDestroy, (ulong)s1);
            r["destroy"] = Raw(sys, SyscallNumber.ShmDestroy, (ulong)s3);
            r["destroyed-address"] = Raw(sys, SyscallNumber.ShmAddress, (ulong)s3);
            r["close"] = Raw(sys, SyscallNumber.ShmClose, c);
            r["closed-create"] = Raw(sys, SyscallNumber.ShmCreate, c, 4096);
            r["closed-close"] = Raw(sys, SyscallNumber.ShmClose, c);
            r["gone-send"] = Raw(sys, SyscallNumber.ShmSend, (ulong)s2, 1);
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
            r["stranger-address"] = Raw(sys, SyscallNumber.ShmAddress, 1);
            r["stranger-send"] = Raw(sys, SyscallNumber.ShmSend, 1, 1);
            r["stranger-create"] = Raw(sys, SyscallNumber.ShmCreate, 1, 4096);
            r["stranger-close"] = Raw(sys, SyscallNumber.ShmClose, 1);
            r["handler"] = Raw(sys, SyscallNumber.ShmHandler, 0x1234);
            Notification.Open(sys, "stranger-done").Notify();
            return 0;
        });
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        r["size0"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["huge"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["flags"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["noconn"].ShouldBe((long)ErrorCode.NoSuchConnection);
        r["oom"].ShouldBe((long)ErrorCode.OutOfMemory);
        r["nosegment-address"].ShouldBe((long)ErrorCode.NoSuchSegment);
        r["type"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["nosegment-send"].ShouldBe((long)ErrorCode.NoSuchSegment);
        r["unmap"].ShouldBe((long)ErrorCode.NotPermitted);
        r["protect"].ShouldBe((long)ErrorCode.NotPermitted);
        r["pagesend"].ShouldBe((long)ErrorCode.NotPermitted);
        r["send1"].ShouldBe(0);
        r["again"].ShouldBe((long)ErrorCode.AlreadySent);
        r["destroy-inflight"].ShouldBe((long)ErrorCode.AlreadySent);
        r["send2"].ShouldBe(0);
        r["full"].ShouldBe((long)ErrorCode.QueueFull);
        r["notowner-send"].ShouldBe((long)ErrorCode.NotOwner);
        r["notowner-destroy"].ShouldBe((long)ErrorCode.NotOwner);
        r["destroy"].ShouldBe(0);
        r["destroyed-address"].ShouldBe((long)ErrorCode.NoSuchSegment);
        r["close"].ShouldBe(0);
        r["closed-create"].ShouldBe((long)ErrorCode.NoSuchConnection);
        r["closed-close"].ShouldBe((long)ErrorCode.NoSuchConnection);
        r["gone-send"].ShouldBe((long)ErrorCode.NoSuchSegment);
        r["stranger-address"].ShouldBe((long)ErrorCode.NotThisPair);
        r["stranger-send"].ShouldBe((long)ErrorCode.NotThisPair);
        r["stranger-create"].ShouldBe((long)ErrorCode.NotThisPair);
        r["stranger-close"].ShouldBe((long)ErrorCode.NotThisPair);
        r["handler"].ShouldBe((long)ErrorCode.InvalidArgument);
        k.ShouldBalance();
    }

    [Fact]
    public void Send_and_call_without_a_peer_handler_fail_with_NoHandler_and_change_nothing()
    {
        var k = Boot();
        long send = 0, call = 0;
        bool stillMine = false;
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            send = Raw(sys, SyscallNumber.ShmSend, (ulong)s.Id, 1);
            call = Raw(sys, SyscallNumber.ShmCall, (ulong)s.Id, 1);
            s.WriteUInt64(0, 5);
            stillMine = k.AreaAt(sys, s.Get()).Protection == Protection.ReadWrite;
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", Peer(bind: false));
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        send.ShouldBe((long)ErrorCode.NoHandler);
        call.ShouldBe((long)ErrorCode.NoHandler);
        stillMine.ShouldBeTrue();
    }

    [Fact]
    public void A_call_whose_peer_faults_in_the_handler_returns_PeerFaulted_and_the_segment_is_gone()
    {
        var k = Boot();
        long call = 0, address = 0;
        int userFramesAfter = -1;
        k.Spawn("caller", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 64 * 1024);
            call = Raw(sys, SyscallNumber.ShmCall, (ulong)s.Id, 9);
            address = Raw(sys, SyscallNumber.ShmAddress, (ulong)s.Id);
            userFramesAfter = k.ProcessOf(sys).AddressSpace.Areas.Count(v => v.Segment != 0);
            return 0;
        });
        Process callee = k.Spawn("callee", Peer((s, m) =>
        {
            s.Memory.WriteUInt64(m.Address, 1); // it owns the segment during the call
            s.Memory.WriteUInt64(8, 1);         // and then crashes
            return 0;
        }));
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        callee.Faults.ShouldHaveSingleItem().Detail.ShouldNotContain("shmem", customMessage: "the crash was not in the segment");
        call.ShouldBe((long)ErrorCode.PeerFaulted);
        address.ShouldBe((long)ErrorCode.NoSuchSegment);
        userFramesAfter.ShouldBe(0, "the caller's mapping went with the connection");
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Closing_the_connection_frees_every_frame_of_its_segments(ProtectionModel model)
    {
        var k = Boot(model, frames: 1024);
        int before = -1, during = -1, after = -1;
        long peerAddress = 0;
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            before = k.Frames.FreeCount;
            var s1 = Shmem.Create(sys, c, 3 * 4096);
            var s2 = Shmem.Create(sys, c, 5000, isUnsafe: true);
            s1.WriteUInt64(0, 1);
            s2.Send(4); // an unsafe segment travels too, and stays the sender's to use
            s2.WriteUInt64(8, 2);
            during = k.Frames.FreeCount;
            sys.ShmClose(c);
            after = k.Frames.FreeCount;
            Notification.Open(sys, "closed").Notify();
            return 0;
        });
        k.Spawn("peer", sys =>
        {
            sys.RegisterSegmentHandler((_, _) => 0);
            var closed = Notification.Create(sys, "closed");
            Notification.Create(sys, "ready").Notify();
            while (!closed.Wait(0)) sys.Yield();
            peerAddress = Raw(sys, SyscallNumber.ShmAddress, 1);
            return k.ProcessOf(sys).AddressSpace.Areas.Count(v => v.Segment != 0);
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0 && p.ExitStatus == 0);
        during.ShouldBeLessThan(before);
        after.ShouldBe(before, "every frame of both segments is free again");
        peerAddress.ShouldBe((long)ErrorCode.NoSuchSegment);
        k.ShouldBalance();
    }

    [Fact]
    public void A_peers_exit_unmaps_every_segment_from_the_survivor_and_frees_the_frames()
    {
        var k = Boot();
        int before = -1, after = -1, areasAfter = -1;
        long create = 0, close = 0, send = 0, call = 0, connect = 0;
        k.Spawn("survivor", sys =>
        {
            AwaitPeer(sys);
            int c = sys.ShmConnect(2), kept = 0;
            before = k.Frames.FreeCount;
            for (int i = 0; i < 4; i++) kept = Shmem.Create(sys, c, 16 * 1024).Id;
            Notification.Open(sys, "made").Notify();
            while ((create = Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 4096)) >= 0) sys.Sleep(1);
            close = Raw(sys, SyscallNumber.ShmClose, (ulong)c);
            // A dead peer: its segments went with it, and no new connection can be made to it.
            send = Raw(sys, SyscallNumber.ShmSend, (ulong)kept, 1);
            call = Raw(sys, SyscallNumber.ShmCall, (ulong)kept, 1);
            connect = Raw(sys, SyscallNumber.ShmConnect, 2);
            after = k.Frames.FreeCount;
            areasAfter = k.ProcessOf(sys).AddressSpace.Areas.Count(v => v.Segment != 0);
            return 0;
        });
        k.Spawn("leaver", sys =>
        {
            var made = Notification.Create(sys, "made");
            Notification.Create(sys, "ready").Notify();
            made.Wait();
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        create.ShouldBe((long)ErrorCode.ProcessExited);
        close.ShouldBe((long)ErrorCode.ProcessExited);
        send.ShouldBe((long)ErrorCode.NoSuchSegment);
        call.ShouldBe((long)ErrorCode.NoSuchSegment);
        connect.ShouldBe((long)ErrorCode.ProcessExited);
        areasAfter.ShouldBe(0);
        // The leaver's own memory is freed too; the survivor's segments gave back all they took.
        after.ShouldBeGreaterThan(before);
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Under_an_MPU_a_segment_is_one_region_at_the_same_address_in_both_and_the_budget_gives_NoMpuRegion(ProtectionModel model)
    {
        var k = Boot(model, frames: 1024);
        var addresses = new List<(ulong Mine, ulong Theirs, ulong Length)>();
        long refused = 0;
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            while (true)
            {
                long id = Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 3 * 4096);
                if (id < 0) { refused = id; break; }
                ulong mine = sys.ShmAddress((int)id);
                Vma v = k.AreaAt(sys, mine);
                Vma theirs = k.FindProcess(2)!.AddressSpace.Areas.Single(a => a.Segment == (int)id);
                addresses.Add((mine, theirs.Start, v.Length));
            }
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", Peer());
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        refused.ShouldBe((long)ErrorCode.NoMpuRegion);
        addresses.ShouldNotBeEmpty();
        foreach ((ulong mine, ulong theirs, ulong length) in addresses)
        {
            theirs.ShouldBe(mine, "no translation: both see the block where it is");
            if (model == ProtectionModel.ArmV7Mpu)
            {
                length.ShouldBe(16UL * 1024, "ARMv7-M: 12 KiB rounds up to a 16 KiB power of two");
                (mine % length).ShouldBe(0UL, "aligned to its size");
            }
            else length.ShouldBe(12UL * 1024, "ARMv8-M: base/limit, exactly the pages");
        }
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Under_an_MPU_a_send_flips_the_regions_access_in_the_senders_programmed_MPU_and_then_the_receivers(ProtectionModel model)
    {
        var k = Boot(model);
        MemoryFault? ownerBefore = null, ownerAfter = null, peerInHandler = null;
        ulong at = 0;
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            at = s.Get();
            // What the MPU, programmed for this process now, says of a user write to the segment.
            ownerBefore = k.Machine.Mpu!.Check(at, 8, AccessKind.Write, privileged: false);
            s.Send(1);
            ownerAfter = k.Machine.Mpu!.Check(at, 8, AccessKind.Write, privileged: false);
            Notification.Open(sys, "done").Wait();
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", sys =>
        {
            var done = Notification.Create(sys, "done");
            var stop = Notification.Create(sys, "stop");
            sys.RegisterSegmentHandler((s, m) =>
            {
                peerInHandler = k.Machine.Mpu!.Check(m.Address, 8, AccessKind.Write, privileged: false);
                done.On(s).Notify();
                return 0;
            });
            Notification.Create(sys, "ready").Notify();
            while (!stop.Wait(0)) sys.Pause(8);
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        at.ShouldNotBe(0UL);
        ownerBefore.ShouldBeNull("the owner's region is read/write");
        ownerAfter.ShouldNotBeNull("the send flipped the sender's region at once: a user write is refused");
        ownerAfter!.Value.Reason.ShouldBe(FaultReason.Supervisor, "the non-owner's region is privileged-only");
        peerInHandler.ShouldBeNull("the receiver's region is read/write while its handler runs");
        k.ShouldBalance();
    }

    [Fact]
    public void Exclusive_ownership_invariant_fires_when_the_peer_is_given_access_behind_the_familys_back()
    {
        var k = Boot();
        List<string> found = [];
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            k.FindViolations().ShouldBeEmpty();
            // The bug: the non-owner's mapping gets read/write (page tables and VMA agree, so only this rule sees it).
            AddressSpace peer = k.FindProcess(2)!.AddressSpace;
            peer.SetSegmentAccess(peer.Areas.Single(v => v.Segment == s.Id).Start, Protection.ReadWrite);
            found = [.. k.FindViolations().Select(v => v.Invariant)];
            peer.SetSegmentAccess(peer.Areas.Single(v => v.Segment == s.Id).Start, Protection.None);
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", Peer());
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        found.ShouldBe(["shmem-exclusive-ownership"]);
    }

    [Fact]
    public void Teardown_invariant_fires_when_a_segment_is_forgotten_but_stays_mapped()
    {
        var k = Boot();
        List<string> found = [];
        string problem = "";
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            k.Family<ShmemIpc>().ForgetSegment(s.Id);
            var v = k.FindViolations();
            found = [.. v.Select(x => x.Invariant).Distinct()];
            problem = v[0].Problem;
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", Peer());
        k.Run();
        found.ShouldBe(["shmem-teardown"]);
        problem.ShouldContain("still maps shmem segment 1");
    }

    [Fact]
    public void With_the_syscall_check_level_an_ownership_bug_is_a_panic_naming_the_invariant()
    {
        var k = Boot();
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            AddressSpace peer = k.FindProcess(2)!.AddressSpace;
            peer.SetSegmentAccess(peer.Areas.Single(v => v.Segment == s.Id).Start, Protection.ReadWrite);
            sys.Yield(); // the next syscall's check point finds it
            return 0;
        });
        k.Spawn("peer", Peer());
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        r.Panic!.Summary.ShouldContain("shmem-exclusive-ownership");
    }

    [Fact]
    public void A_lent_segment_cannot_be_sent_or_destroyed_by_the_handler_and_comes_back_with_the_reply()
    {
        var k = Boot();
        long send = 0, destroy = 0, reply = 0;
        ulong seen = 0;
        bool callFlag = false;
        k.Spawn("caller", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            s.WriteUInt64(0, 41);
            reply = s.Call(7);
            seen = s.ReadUInt64(0);
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", Peer((s, m) =>
        {
            callFlag = m.IsCall;
            send = Raw(s, SyscallNumber.ShmSend, (ulong)m.Segment, 1);
            destroy = Raw(s, SyscallNumber.ShmDestroy, (ulong)m.Segment);
            s.Memory.WriteUInt64(m.Address, s.Memory.ReadUInt64(m.Address) + 1);
            return -5; // a negative reply comes back as 0
        }));
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        callFlag.ShouldBeTrue();
        send.ShouldBe((long)ErrorCode.AlreadySent);
        destroy.ShouldBe((long)ErrorCode.AlreadySent);
        reply.ShouldBe(0);
        seen.ShouldBe(42UL);
        k.ShouldBalance();
    }

    [Fact]
    public void An_unsafe_segment_is_read_write_for_both_sides_always()
    {
        var k = Boot();
        ulong seenByOwner = 0;
        Protection peerProtection = Protection.None;
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096, isUnsafe: true);
            Vma theirs = k.FindProcess(2)!.AddressSpace.Areas.Single(v => v.Segment == s.Id);
            peerProtection = theirs.Protection;
            // The peer writes without being sent anything: the kernel checks nothing for an unsafe segment.
            Notification.Open(sys, "poke").Notify();
            Notification.Open(sys, "poked").Wait();
            seenByOwner = s.ReadUInt64(16);
            s.Send(1);
            s.WriteUInt64(0, 1); // still the sender's to use
            StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", sys =>
        {
            sys.RegisterSegmentHandler((_, _) => 0);
            var poke = Notification.Create(sys, "poke");
            var poked = Notification.Create(sys, "poked");
            var stop = Notification.Create(sys, "stop");
            Notification.Create(sys, "ready").Notify();
            poke.Wait();
            ulong at = k.ProcessOf(sys).AddressSpace.Areas.Single(v => v.Segment != 0).Start;
            sys.Memory.WriteUInt64(at + 16, 99);
            poked.Notify();
            while (!stop.Wait(0)) sys.Yield();
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        peerProtection.ShouldBe(Protection.ReadWrite);
        seenByOwner.ShouldBe(99UL);
        k.ShouldBalance();
    }

    [Fact]
    public void A_supervisor_restart_closes_the_restarted_processs_connections()
    {
        var k = Boot();
        long after = 0;
        int areas = -1;
        k.Spawn("owner", sys =>
        {
            AwaitPeer(sys);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            Notification.Open(sys, "crash").Notify();
            while (Raw(sys, SyscallNumber.ShmAddress, (ulong)s.Id) >= 0) sys.Yield();
            after = Raw(sys, SyscallNumber.ShmAddress, (ulong)s.Id);
            areas = k.ProcessOf(sys).AddressSpace.Areas.Count(v => v.Segment != 0);
            return 0;
        });
        k.Spawn("peer", sys =>
        {
            if (sys.Generation > 0) return 0; // the restarted process just ends
            var crash = Notification.Create(sys, "crash");
            Notification.Create(sys, "ready").Notify();
            crash.Wait();
            sys.Memory.WriteUInt64(8, 1); // a NULL-page store: the supervisor restarts it
            return 0;
        }, FaultPolicy.Restart);
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.FindProcess(2)!.Restarts.ShouldBe(1);
        after.ShouldBe((long)ErrorCode.NoSuchSegment);
        areas.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void Segment_handler_entries_are_not_page_send_handlers()
    {
        var k = Boot();
        long asPageHandler = 0, asSegmentHandler = 0;
        k.Spawn("p", sys =>
        {
            sys.RegisterSegmentHandler((_, _) => 0);
            sys.RegisterHandler(1, (_, _) => true);
            // Entries are registered in order: the segment handler first, the page handler second.
            ulong segmentEntry = 0x400010, pageEntry = 0x400020;
            asPageHandler = Raw(sys, SyscallNumber.RegisterHandler, 2, segmentEntry);
            asSegmentHandler = Raw(sys, SyscallNumber.ShmHandler, pageEntry);
            return 0;
        });
        k.Run();
        asPageHandler.ShouldBe((long)ErrorCode.InvalidArgument);
        asSegmentHandler.ShouldBe((long)ErrorCode.InvalidArgument);
    }
}
