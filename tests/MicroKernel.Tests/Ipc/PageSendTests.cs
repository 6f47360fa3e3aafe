using MicroKernel.Hardware;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>send / register_handler: every flag combination, every target, every error, with frame accounting.</summary>
public class PageSendTests
{
    private const ulong T = 5;

    // Runs a receiver (pid 1) that records what its handler saw, and a sender (pid 2) running `send`.
    // The receiver's handler accepts unless told otherwise; after the delivery, `afterReceive` runs in the receiver.
    private static (Kernel K, Process Receiver, Process Sender) Pair(
        ProtectionModel model, Func<Sys, int, long> send, Func<Sys, PageMessage, bool>? handler = null,
        Action<Sys, PageMessage>? afterReceive = null, int deliveries = 1, PolicyKind policy = PolicyKind.RoundRobin)
    {
        var k = TestKernels.Boot(model, policy);
        var got = new List<PageMessage>();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (s, m) => { got.Add(m); return handler?.Invoke(s, m) ?? true; });
            while (got.Count < deliveries) sys.Pause();
            foreach (PageMessage m in got) afterReceive?.Invoke(sys, m);
            return 0;
        }, priority: 1);
        Process sender = k.Spawn("sender", sys => send(sys, receiver.Pid), priority: 1);
        return (k, receiver, sender);
    }

    private static void Completes(Kernel k)
    {
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString() ?? r.DeadlockReport);
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
    }

    private static ulong Filled(Sys sys, ulong pages, ulong seed)
    {
        ulong a = sys.Map(pages * 4096);
        for (ulong p = 0; p < pages; p++) sys.Memory.WriteUInt64(a + p * 4096, seed + p);
        return a;
    }

    private static bool Faults(Action access)
    {
        try
        {
            access();
            return false;
        }
        catch (ThreadTerminatedException)
        {
            return true;
        }
    }

    public static TheoryData<ProtectionModel, ulong> AllFlagCombinations()
    {
        var data = new TheoryData<ProtectionModel, ulong>();
        foreach (ProtectionModel m in Enum.GetValues<ProtectionModel>())
            for (ulong f = 0; f < 8; f++) data.Add(m, f);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllFlagCombinations))]
    public void Every_combination_of_keep_write_and_duplicate_behaves_as_documented(ProtectionModel model, ulong flags)
    {
        bool keep = (flags & 1) != 0, receiverWrites = (flags & 2) != 0, duplicate = (flags & 4) != 0;
        string? senderAfter = null, receiverAfter = null;
        bool? senderWriteFaulted = null;
        ulong received = 0;
        var k = TestKernels.Boot(model);
        Process? receiverProcess = null;
        int phase = 0; // 1: receiver has looked and written; 2: sender has written
        receiverProcess = k.Spawn("receiver", sys =>
        {
            ulong at = 0;
            sys.RegisterHandler(T, (s, m) => { at = m.Address; received = s.Memory.ReadUInt64(at); return true; });
            while (at == 0) sys.Pause();
            if (receiverWrites) sys.Memory.WriteUInt64(at + 8, 0xBEEF);
            phase = 1;
            while (phase < 2) sys.Yield();
            receiverAfter = $"{sys.Memory.ReadUInt64(at):x}/{sys.Memory.ReadUInt64(at + 8):x}";
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            ulong page = Filled(sys, 1, 0xA0);
            sys.Send(receiverProcess.Pid, T, page, 1, (SendFlags)flags).ShouldBe(1);
            k.ShouldBalance();
            while (phase < 1) sys.Yield();
            if (!keep && !duplicate)
            {
                // Moved away: the page is no longer ours.
                senderAfter = "gone";
                sys.Thread.Space.TryRead(page, new byte[8], out MemoryFault f).ShouldBeFalse();
                f.Reason.ShouldBeOneOf(FaultReason.NotPresent, FaultReason.NoRegion);
            }
            else
            {
                senderAfter = $"{sys.Memory.ReadUInt64(page):x}/{sys.Memory.ReadUInt64(page + 8):x}";
                bool canWrite = sys.Thread.Space.TryWriteUInt64(page, 0xA1, out _);
                senderWriteFaulted = !canWrite;
                if (canWrite) senderAfter += $" then {sys.Memory.ReadUInt64(page):x}";
            }
            phase = 2;
            return 0;
        });
        Completes(k);
        received.ShouldBe(0xA0UL);
        string receiverWrote = receiverWrites ? "beef" : "0";
        if (!keep && !duplicate)
        {
            senderAfter.ShouldBe("gone");
            receiverAfter.ShouldBe($"a0/{receiverWrote}");
        }
        else if (!duplicate)
        {
            // Shared: both see each other's writes.
            senderWriteFaulted.ShouldBe(false);
            senderAfter.ShouldBe($"a0/{receiverWrote} then a1");
            receiverAfter.ShouldBe($"a1/{receiverWrote}");
        }
        else
        {
            // Copied: neither sees the other's writes; without bit 0 the sender's original became read-only.
            senderWriteFaulted.ShouldBe(!keep);
            senderAfter.ShouldBe(keep ? "a0/0 then a1" : "a0/0");
            receiverAfter.ShouldBe($"a0/{receiverWrote}");
        }
    }

    [Theory]
    [InlineData(ProtectionModel.Paging, 0UL)]
    [InlineData(ProtectionModel.Paging, 1UL)]
    [InlineData(ProtectionModel.Paging, 5UL)]
    [InlineData(ProtectionModel.ArmV7Mpu, 1UL)]
    [InlineData(ProtectionModel.ArmV8Mpu, 4UL)]
    public void A_receiver_without_write_rights_faults_when_it_writes(ProtectionModel model, ulong flags)
    {
        var (k, receiver, _) = Pair(model, (sys, pid) => sys.Send(pid, T, Filled(sys, 1, 1), 1, (SendFlags)flags), afterReceive: (s, m) => s.Memory.WriteUInt64(m.Address, 2));
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        receiver.Faults.Single().Reason.ShouldBe(model == ProtectionModel.Paging ? FaultReason.ReadOnly : FaultReason.ReadOnly);
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Broadcasts_reach_every_process_with_a_handler_and_self_sends_reach_the_sender(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var seen = new SortedDictionary<int, ulong>();
        var listeners = new List<Process>();
        for (int i = 0; i < 3; i++)
            listeners.Add(k.Spawn($"listener{i}", sys =>
            {
                bool done = false;
                sys.RegisterHandler(T, (s, m) => { seen[s.Pid] = s.Memory.ReadUInt64(m.Address); done = true; return true; });
                while (!done) sys.Pause();
                return 0;
            }));
        k.Spawn("deaf", sys => { sys.Sleep(20); return 0; }); // no handler: not a receiver
        int all = 0, allButSelf = 0, self = 0;
        k.Spawn("caster", sys =>
        {
            sys.RegisterHandler(T, (s, m) => true);
            sys.Sleep(5);
            allButSelf = sys.Send(0, T, Filled(sys, 1, 7), 1, SendFlags.SenderKeeps | SendFlags.ToAllButSelf);
            sys.Sleep(5);
            sys.Send(0, T, Filled(sys, 1, 8), 1, SendFlags.ToAll).ShouldBe(0, "a broadcast move must be refused before this line");
            return 0;
        });
        k.Spawn("caster2", sys =>
        {
            bool mine = false;
            sys.RegisterHandler(T, (s, m) => { mine = true; return true; });
            sys.Sleep(15);
            all = (int)sys.Syscall(SyscallNumber.Send, 0, T, Filled(sys, 1, 9), 1, (ulong)(SendFlags.Duplicate | SendFlags.SenderKeeps | SendFlags.ToAll));
            self = (int)sys.Syscall(SyscallNumber.Send, 0, T, Filled(sys, 1, 10), 1, (ulong)SendFlags.ToSelf);
            while (!mine) sys.Pause();
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        allButSelf.ShouldBe(4); // three listeners and caster2
        all.ShouldBe(1); // by then the listeners are gone and caster crashed: caster2 itself
        self.ShouldBe(1);
        seen.Count.ShouldBe(3);
        seen.Values.ShouldAllBe(v => v == 7);
        // The move broadcast was refused with InvalidArgument: SyscallException crashed "caster".
        k.Processes.Single(p => p.Name == "caster").Faults.Single().Detail.ShouldContain("invalid argument");
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
    }

    public static TheoryData<string, ulong, ulong, ulong, ulong, ErrorCode> Errors() => new()
    {
        { "reserved flag bit", 0, 1, 0x40, 0, ErrorCode.InvalidArgument },
        { "zero pages", 0, 0, 0, 0, ErrorCode.InvalidArgument },
        { "too many pages", 0, PageSendIpc.MaxPages + 1, 0, 0, ErrorCode.InvalidArgument },
        { "type too large", 0, 1, 0, PageSendIpc.MaxType, ErrorCode.InvalidArgument },
        { "unaligned address", 8, 1, 0, 0, ErrorCode.Misaligned },
        { "range wraps", 0xFFFF_FFFF_FFFF_F000, 2, 0, 0, ErrorCode.BadAddress },
        { "kernel half", 0xFFFF_8000_0000_0000, 1, 0, 0, ErrorCode.BadAddress },
        { "not fully mapped", 0, 2, 0, 0, ErrorCode.NotMapped },
        { "unmapped", 0x7000_0000_0000, 1, 0, 0, ErrorCode.NotMapped },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Bad_arguments_are_refused_and_change_nothing(string why, ulong addressOffset, ulong pages, ulong flags, ulong typeOverride, ErrorCode expected)
    {
        long result = 0;
        string? before = null, after = null;
        var (k, receiver, _) = Pair(ProtectionModel.Paging, (sys, pid) =>
        {
            ulong page = Filled(sys, 1, 0x77);
            ulong address = addressOffset >= 0x7000_0000_0000 ? addressOffset : page + addressOffset;
            before = k0(sys, page);
            result = sys.Syscall(SyscallNumber.Send, (ulong)pid, typeOverride == 0 ? T : typeOverride, address, pages, flags);
            after = k0(sys, page);
            sys.Send(pid, T, page, 1); // let the receiver finish
            return 0;
        });
        Completes(k);
        result.ShouldBe((long)expected, why);
        after.ShouldBe(before);
        receiver.ExitStatus.ShouldBe(0);

        static string k0(Sys sys, ulong page) => $"{sys.Memory.ReadUInt64(page):x} {((PagedAddressSpace)sys.Thread.Space).QueryEntry(page):x} {sys.Thread.Process.AddressSpace.DumpMaps()}";
    }

    [Fact]
    public void Receiver_errors_unknown_dead_and_handlerless()
    {
        var results = new List<long>();
        bool removed = false, broadcastDone = false, senderDone = false;
        var k = TestKernels.Boot();
        Process quitter = k.Spawn("quitter", _ => 0);
        Process deaf = k.Spawn("deaf", sys => { while (!removed) sys.Sleep(1); return 0; });
        Process listener = k.Spawn("listener", sys =>
        {
            sys.RegisterHandler(T, (_, _) => true);
            while (!broadcastDone) sys.Sleep(1);
            sys.RemoveHandler(T); // entry 0 removes
            removed = true;
            while (!senderDone) sys.Sleep(1);
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(5);
            ulong page = Filled(sys, 1, 1);
            results.Add(sys.Syscall(SyscallNumber.Send, 999, T, page, 1, 0));
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)quitter.Pid, T, page, 1, 0));
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)deaf.Pid, T, page, 1, 0));
            results.Add(sys.Syscall(SyscallNumber.Send, 0, T, page, 1, (ulong)(SendFlags.SenderKeeps | SendFlags.ToAllButSelf)));
            broadcastDone = true;
            while (!removed) sys.Sleep(1);
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)listener.Pid, T, page, 1, 0));
            results.Add(sys.Syscall(SyscallNumber.Send, 0, T, page, 1, (ulong)(SendFlags.SenderKeeps | SendFlags.ToAll)));
            sys.Memory.ReadUInt64(page).ShouldBe(1UL, "nothing moved");
            senderDone = true;
            return 0;
        });
        Completes(k);
        results.ShouldBe([(long)ErrorCode.NoSuchProcess, (long)ErrorCode.ProcessExited, (long)ErrorCode.NoHandler, 1, (long)ErrorCode.NoHandler, (long)ErrorCode.NoHandler]);
    }

    [Fact]
    public void Register_handler_validates_its_arguments_and_a_second_call_replaces_the_handler()
    {
        var results = new List<long>();
        var order = new List<string>();
        var (k, _, _) = Pair(ProtectionModel.Paging, (sys, pid) =>
        {
            results.Add(sys.Syscall(SyscallNumber.RegisterHandler, T, 0x400000)); // main is not a handler
            results.Add(sys.Syscall(SyscallNumber.RegisterHandler, T, 0xDEAD0));
            results.Add(sys.Syscall(SyscallNumber.RegisterHandler, PageSendIpc.MaxType, 0));
            sys.Sleep(3);
            sys.Send(pid, T, Filled(sys, 1, 1), 1);
            return 0;
        }, handler: (s, m) => { order.Add("first"); return true; });
        // The receiver replaces its handler before the message comes: wrap Pair's receiver by registering again.
        Completes(k);
        results.ShouldBe([(long)ErrorCode.InvalidArgument, (long)ErrorCode.InvalidArgument, (long)ErrorCode.InvalidArgument]);

        var k2 = TestKernels.Boot();
        Process r = k2.Spawn("r", sys =>
        {
            sys.RegisterHandler(T, (_, _) => { order.Add("old"); return true; });
            sys.RegisterHandler(T, (_, _) => { order.Add("new"); return true; });
            sys.Pause();
            return 0;
        });
        k2.Spawn("s", sys => { sys.Sleep(3); return sys.Send(r.Pid, T, Filled(sys, 1, 1), 1) - 1; });
        Completes(k2);
        order.ShouldBe(["first", "new"]);
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Moving_pages_the_sender_may_not_write_and_sharing_them_writable_are_refused(ProtectionModel model)
    {
        var results = new List<long>();
        var (k, _, _) = Pair(model, (sys, pid) =>
        {
            ulong ro = Filled(sys, 1, 3);
            sys.Protect(ro, 4096, Protection.Read);
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)pid, T, ro, 1, 0));
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)pid, T, ro, 1, (ulong)(SendFlags.SenderKeeps | SendFlags.ReceiverWrite)));
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)pid, T, ro, 1, (ulong)(SendFlags.Duplicate | SendFlags.SenderKeeps | SendFlags.ReceiverWrite)));
            return 0;
        });
        Completes(k);
        results.ShouldBe([(long)ErrorCode.NotPermitted, (long)ErrorCode.NotPermitted, 1]);
    }

    [Fact]
    public void A_full_queue_gives_QueueFull_or_blocks_with_the_block_flag_and_delivery_is_fifo()
    {
        const int capacity = 16;
        var order = new List<ulong>();
        long refused = 0;
        var k = TestKernels.Boot(policy: PolicyKind.Priority);
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (s, m) => { order.Add(s.Memory.ReadUInt64(m.Address)); return false; });
            while (order.Count < capacity + 4) sys.Pause();
            return 0;
        }, priority: 1);
        k.Spawn("sender", sys =>
        {
            sys.Sleep(5); // the receiver registers, then waits in pause()
            for (ulong i = 0; i < capacity; i++) sys.Send(receiver.Pid, T, Filled(sys, 1, i), 1);
            // The receiver has lower priority: it has not run, its queue is full.
            k.ShouldBalance();
            ulong extra = Filled(sys, 1, 100);
            refused = sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, T, extra, 1, 0);
            sys.Memory.ReadUInt64(extra).ShouldBe(100UL, "a refused move leaves the page with the sender");
            for (ulong i = 100; i < 104; i++) sys.Send(receiver.Pid, T, i == 100 ? extra : Filled(sys, 1, i), 1, SendFlags.Block);
            return 0;
        }, priority: 5);
        RunResult rr = k.Run();
        rr.Outcome.ShouldBe(RunOutcome.Completed, string.Join("\n", k.Processes.SelectMany(p => p.Faults).Select(f => f.ToString())));
        refused.ShouldBe((long)ErrorCode.QueueFull);
        order.ShouldBe(Enumerable.Range(0, capacity).Select(i => (ulong)i).Concat(new ulong[] { 100, 101, 102, 103 }));
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    public void A_receiver_that_dies_with_messages_pending_releases_moved_pages_and_leaves_shared_ones_alone(ProtectionModel model)
    {
        var k = TestKernels.Boot(model, PolicyKind.Priority);
        ulong sharedValue = 0;
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (_, _) => true);
            sys.Sleep(10);
            sys.Exit(3); // dies before it ever runs a handler
            return 0;
        }, priority: 9);
        k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            int usersBefore = k.Frames.UserCount;
            sys.Send(receiver.Pid, T, Filled(sys, 2, 1), 2); // move
            ulong shared = Filled(sys, 1, 42);
            sys.Send(receiver.Pid, T, shared, 1, SendFlags.SenderKeeps); // share
            k.ShouldBalance(); // in-flight pages are counted
            sys.Sleep(20);
            k.Frames.UserCount.ShouldBeLessThan(usersBefore + 3, "the moved pages were freed with the receiver");
            sharedValue = sys.Memory.ReadUInt64(shared);
            return 0;
        }, priority: 1);
        Completes(k);
        receiver.ExitStatus.ShouldBe(3);
        sharedValue.ShouldBe(42UL);
    }

    [Fact]
    public void Abandoning_releases_the_pages_and_accepting_keeps_them_mapped()
    {
        int usersAfterAbandon = -1, usersAfterAccept = -1, baseline = -1;
        var k = TestKernels.Boot();
        Process receiver = k.Spawn("receiver", sys =>
        {
            int n = 0;
            sys.RegisterHandler(T, (s, m) => ++n == 2); // abandon the first, accept the second
            while (n < 2) sys.Pause();
            sys.Sleep(50); // stay alive (and keep the pages) while the sender counts frames
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            baseline = k.Frames.UserCount;
            sys.Send(receiver.Pid, T, Filled(sys, 3, 1), 3, SendFlags.Duplicate | SendFlags.SenderKeeps);
            sys.Sleep(5);
            usersAfterAbandon = k.Frames.UserCount;
            sys.Send(receiver.Pid, T, Filled(sys, 3, 1), 3);
            sys.Sleep(5);
            usersAfterAccept = k.Frames.UserCount;
            return 0;
        });
        Completes(k);
        usersAfterAbandon.ShouldBe(baseline + 3, "only the sender's originals remain");
        usersAfterAccept.ShouldBe(baseline + 6, "the moved pages live on in the receiver");
    }

    [Fact]
    public void Copy_on_write_copies_on_the_first_write_on_either_side_only()
    {
        long senderBreaks = -1, receiverBreaks = -1;
        Kernel? kernel = null;
        var (k, _, _) = Pair(ProtectionModel.Paging, (sys, pid) =>
        {
            ulong a = Filled(sys, 4, 0x10);
            int before = k0().Frames.UserCount;
            sys.Send(pid, T, a, 4, SendFlags.Duplicate | SendFlags.SenderKeeps | SendFlags.ReceiverWrite);
            k0().Frames.UserCount.ShouldBe(before, "a copy-on-write send copies nothing yet");
            sys.Sleep(10);
            sys.Memory.WriteUInt64(a, 0x99); // one page copied
            senderBreaks = ((PagedAddressSpace)sys.Thread.Space).CopyOnWriteBreaks;
            sys.Memory.ReadUInt64(a + 4096).ShouldBe(0x11UL, "the receiver's write to its copy does not show here");
            return 0;
        }, afterReceive: (s, m) =>
        {
            s.Memory.WriteUInt64(m.Address + 4096, 0x55);
            receiverBreaks = ((PagedAddressSpace)s.Thread.Space).CopyOnWriteBreaks;
            s.Sleep(20);
            s.Memory.ReadUInt64(m.Address).ShouldBe(0x10UL, "the sender's write to its original does not show here");
        });
        kernel = k;
        Completes(k);
        senderBreaks.ShouldBe(1);
        receiverBreaks.ShouldBe(1);

        Kernel k0() => kernel!;
    }

    [Fact]
    public void Delivery_wakes_a_blocked_receiver_and_handlers_do_not_nest()
    {
        int depth = 0, maxDepth = 0, handled = 0;
        long joinedAt = -1, handledAt = -1;
        var k = TestKernels.Boot();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (s, m) =>
            {
                maxDepth = Math.Max(maxDepth, ++depth);
                handledAt = handledAt < 0 ? s.Time : handledAt;
                s.Yield(); // a scheduling point inside the handler: the next message must wait
                s.Sleep(2);
                handled++;
                depth--;
                return true;
            });
            int worker = sys.CreateThread((s, _) => { s.Sleep(200); return 0; });
            sys.Join(worker); // blocked here when the messages come
            joinedAt = sys.Time;
            return handled;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(10);
            for (ulong i = 0; i < 3; i++) sys.Send(receiver.Pid, T, Filled(sys, 1, i), 1);
            return 0;
        });
        Completes(k);
        handled.ShouldBe(3);
        maxDepth.ShouldBe(1);
        handledAt.ShouldBeLessThan(50, "the blocked receiver was interrupted, not left waiting 200 ticks");
        joinedAt.ShouldBeGreaterThanOrEqualTo(200, "after the handlers, the join resumed");
        receiver.ExitStatus.ShouldBe(3);
    }

    [Fact]
    public void A_handler_that_faults_kills_its_process_and_frees_the_pages()
    {
        var (k, receiver, sender) = Pair(ProtectionModel.Paging, (sys, pid) =>
        {
            sys.Send(pid, T, Filled(sys, 2, 1), 2);
            return 0;
        }, handler: (s, m) => { s.Memory.WriteUInt64(m.Address, 1); return true; }); // read-only: faults
        Completes(k);
        receiver.ExitStatus.ShouldBe(128 + (int)FaultReason.ReadOnly);
        sender.ExitStatus.ShouldBe(0);
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Under_an_MPU_the_unit_is_a_whole_block_and_regions_run_out(ProtectionModel model)
    {
        var results = new List<long>();
        bool done = false;
        var k = TestKernels.Boot(model, PolicyKind.Priority);
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (_, _) => true);
            while (!done) sys.Sleep(5);
            return 0;
        }, priority: 1);
        k.Spawn("sender", sys =>
        {
            sys.RegisterHandler(T, (_, _) => true);
            sys.Sleep(2);
            ulong block = Filled(sys, 4, 1);
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, T, block, 2, 0)); // half a block
            results.Add(sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, T, block, 4, (ulong)(SendFlags.SenderKeeps | SendFlags.ToSelf)));
            // Keep moving fresh blocks until the receiver's region budget (8) is spent: each accepted block is a region.
            long r;
            int sent = 0;
            do
            {
                r = sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, T, Filled(sys, 1, 2), 1, 0);
                if (r == 1) sent++;
                sys.Sleep(1);
            }
            while (r == 1 && sent < 20);
            results.Add(r);
            results.Add(sent);
            done = true;
            return 0;
        }, priority: 5);
        var rr = k.Run();
        results[0].ShouldBe((long)ErrorCode.InvalidArgument);
        results[1].ShouldBe((long)ErrorCode.InvalidArgument); // sharing a block with oneself cannot be mapped twice
        results[2].ShouldBe((long)ErrorCode.NoMpuRegion);
        results[3].ShouldBeGreaterThan(3);
        results[3].ShouldBeLessThanOrEqualTo(8);
        rr.Outcome.ShouldBe(RunOutcome.Completed);
    }
}
