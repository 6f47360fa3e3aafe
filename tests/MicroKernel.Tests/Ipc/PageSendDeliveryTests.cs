using MicroKernel.Faults;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Faults;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// What a page-send delivery leaves behind, checked exactly: the received area's name, no pending upcall once the
/// handler ran, an abandoned message's pages unmapped, the result each Delivery event records, a message whose
/// handler was removed or whose pages cannot be attached released; and the edges around it: pause() at its longest
/// timeout, two senders blocked on one full queue, a share that the receiver may only read, a delay rule asked once
/// per message. Results are recorded by the programs and checked by the test (an assertion failing inside a simulated
/// program only faults that program).
/// </summary>
public class PageSendDeliveryTests
{
    private const ulong T = 6;
    private const ulong Page = AddressSpace.PageSize;

    private static EventLog Completes(Kernel k)
    {
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString() ?? r.DeadlockReport);
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
        return log;
    }

    [Fact]
    public void An_accepted_message_is_an_area_named_after_its_type_and_sender_and_leaves_no_pending_upcall()
    {
        string? name = null;
        int pendingAfter = -1;
        ulong at = 0;
        var k = TestKernels.Boot();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (s, m) =>
            {
                at = m.Address;
                name = k.AreaAt(s, m.Address).Name;
                return true;
            });
            while (at == 0) sys.Pause();
            pendingAfter = k.ProcessOf(sys).PendingUpcalls;
            sys.Unmap(at, Page);
            return 0;
        });
        Process sender = k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            return sys.Send(receiver.Pid, T, sys.Map(Page), 1) == 1 ? 0 : 1;
        });
        EventLog log = Completes(k);
        name.ShouldBe($"ipc type {T} from pid {sender.Pid}");
        pendingAfter.ShouldBe(0);
        KernelEvent delivery = log.Events.Single(e => e.Kind == EventKind.Delivery);
        (delivery.Result, delivery.A1, delivery.A2).ShouldBe((1L, at, 1UL));
    }

    [Fact]
    public void An_abandoned_message_has_every_page_unmapped_and_its_delivery_recorded_as_0()
    {
        ulong at = 0;
        bool[] readable = [];
        int userFramesInHandler = -1, userFramesAfter = -1;
        var k = TestKernels.Boot();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (s, m) =>
            {
                at = m.Address;
                userFramesInHandler = k.Frames.UserCount;
                return s.Memory.ReadUInt64(m.Address + Page) != 0xB2; // both pages are there while it runs: abandoned
            });
            while (at == 0) sys.Pause();
            AddressSpace space = k.ProcessOf(sys).AddressSpace;
            readable = [space.TryRead(at, new byte[8], out _), space.TryRead(at + Page, new byte[8], out _)];
            userFramesAfter = k.Frames.UserCount;
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            ulong pages = sys.Map(2 * Page);
            sys.Memory.WriteUInt64(pages + Page, 0xB2);
            long sent = sys.Send(receiver.Pid, T, pages, 2);
            sys.Sleep(50); // alive (its frames counted) until the receiver has looked
            return sent == 1 ? 0 : 1;
        });
        EventLog log = Completes(k);
        readable.ShouldBe([false, false]);
        userFramesAfter.ShouldBe(userFramesInHandler - 2, "the moved frames were freed");
        KernelEvent delivery = log.Events.Single(e => e.Kind == EventKind.Delivery);
        (delivery.Result, delivery.A1, delivery.A2).ShouldBe((0L, at, 2UL));
    }

    [Fact]
    public void A_message_whose_handler_was_removed_while_it_waited_is_released_and_recorded_as_NoHandler()
    {
        // The sender (higher priority) queues two messages before the receiver runs; the first one's handler removes
        // the handler, so nobody can take the second: its pages go back and no handler runs for it.
        int handled = 0;
        ulong firstAt = 0;
        var k = TestKernels.Boot(policy: PolicyKind.Priority);
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (s, m) =>
            {
                handled++;
                firstAt = m.Address;
                s.RemoveHandler(T);
                return false;
            });
            while (handled == 0) sys.Pause();
            sys.Sleep(5);
            return 0;
        }, priority: 1);
        Process sender = k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            long a = sys.Send(receiver.Pid, T, sys.Map(Page), 1), b = sys.Send(receiver.Pid, T, sys.Map(2 * Page), 2);
            return a + b == 2 ? 0 : 1;
        }, priority: 5);
        EventLog log = Completes(k);
        sender.ExitStatus.ShouldBe(0);
        handled.ShouldBe(1);
        List<KernelEvent> deliveries = [.. log.Events.Where(e => e.Kind == EventKind.Delivery)];
        deliveries.Select(e => (e.Result, e.A1, e.A2)).ShouldBe([(0L, firstAt, 1UL), ((long)ErrorCode.NoHandler, 0UL, 2UL)]);
        log.Events.Count(e => e.Kind == EventKind.Upcall).ShouldBe(1);
    }

    [Fact]
    public void A_delivery_that_finds_every_region_of_the_receiver_taken_is_released_and_recorded_with_the_error()
    {
        // A delay rule holds the delivery back; meanwhile the receiver takes every MPU region it has left. When the
        // delivery comes, its block has no region: the pages go back, the handler never runs.
        int handled = 0;
        bool filled = false;
        var k = new Kernel(FaultRig.Config(ProtectionModel.ArmV7Mpu, rules: [new DelayFaultRule(1, 40)]));
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (_, _) => { handled++; return true; });
            sys.Sleep(10); // the message arrives and is held
            var blocks = new List<ulong>();
            AddressSpace space = k.ProcessOf(sys).AddressSpace;
            while (space.CanTakeRegions(1)) blocks.Add(sys.Map(Page));
            filled = true;
            sys.Sleep(100); // the held delivery comes due
            foreach (ulong b in blocks) sys.Unmap(b, Page);
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            return sys.Send(receiver.Pid, T, sys.Map(Page), 1) == 1 ? 0 : 1;
        });
        EventLog log = Completes(k);
        filled.ShouldBeTrue();
        handled.ShouldBe(0);
        KernelEvent delivery = log.Events.Single(e => e.Kind == EventKind.Delivery);
        (delivery.Result, delivery.A1).ShouldBe(((long)ErrorCode.NoMpuRegion, 0UL));
    }

    [Fact]
    public void Pause_takes_exactly_MaxSleepTicks_and_refuses_one_tick_more()
    {
        long refused = 0;
        bool paused = false;
        int handled = 0;
        var k = TestKernels.Boot();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (_, _) => { handled++; return false; });
            refused = sys.Syscall(SyscallNumber.Pause, CoreSyscalls.MaxSleepTicks + 1);
            paused = sys.Pause((long)CoreSyscalls.MaxSleepTicks); // ended by the message, long before its timeout
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(5);
            return sys.Send(receiver.Pid, T, sys.Map(Page), 1) == 1 ? 0 : 1;
        });
        Completes(k);
        refused.ShouldBe((long)ErrorCode.InvalidArgument);
        paused.ShouldBeTrue();
        handled.ShouldBe(1);
    }

    [Fact]
    public void Two_senders_blocked_on_one_full_queue_both_get_their_message_in_when_one_slot_frees_at_a_time()
    {
        // The receiver's first handler sleeps (no other handler runs meanwhile): one sender fills the queue, then both
        // block on it. Each delivery wakes every blocked sender; the first to run takes the free slot, the other finds
        // the queue full again and must block again rather than give up.
        const int capacity = 16;
        var got = new List<ulong>();
        long first = 0, second = 0;
        bool filled = false;
        var k = TestKernels.Boot();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (s, m) =>
            {
                if (got.Count == 0) s.Sleep(100);
                got.Add(s.Memory.ReadUInt64(m.Address));
                return false;
            });
            while (got.Count < capacity + 3) sys.Pause();
            return 0;
        });
        for (int i = 0; i < 2; i++)
        {
            int me = i;
            k.Spawn($"sender{i}", sys =>
            {
                if (me == 0)
                {
                    sys.Sleep(2);
                    sys.Send(receiver.Pid, T, Filled(sys, 99), 1);
                    sys.Sleep(3); // the receiver is in its sleeping handler
                    for (ulong j = 0; j < capacity; j++) sys.Send(receiver.Pid, T, Filled(sys, j), 1);
                    filled = true;
                }
                while (!filled) sys.Sleep(1);
                long r = sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, T, Filled(sys, 100 + (ulong)me), 1, (ulong)SendFlags.Block);
                if (me == 0) first = r;
                else second = r;
                return 0;
            });
        }
        Completes(k);
        (first, second).ShouldBe((1L, 1L));
        got.Count.ShouldBe(capacity + 3);
        got.Skip(capacity + 1).Order().ShouldBe([100UL, 101UL]); // both blocked senders come after the queue they waited on
    }

    private static ulong Filled(Sys sys, ulong value)
    {
        ulong a = sys.Map(Page);
        sys.Memory.WriteUInt64(a, value);
        return a;
    }

    [Fact]
    public void A_page_the_sender_may_only_read_can_be_shared_read_only_but_not_writable()
    {
        long readOnly = 0, writable = 0;
        Protection? mapped = null;
        ulong value = 0;
        var k = TestKernels.Boot();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (s, m) =>
            {
                mapped = k.AreaAt(s, m.Address).Protection;
                value = s.Memory.ReadUInt64(m.Address);
                return false;
            });
            while (mapped is null) sys.Pause();
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            ulong page = sys.Map(Page);
            sys.Memory.WriteUInt64(page, 0x5A);
            sys.Syscall(SyscallNumber.Protect, page, Page, (ulong)Protection.Read);
            writable = sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, T, page, 1, (ulong)(SendFlags.SenderKeeps | SendFlags.ReceiverWrite));
            readOnly = sys.Syscall(SyscallNumber.Send, (ulong)receiver.Pid, T, page, 1, (ulong)SendFlags.SenderKeeps);
            while (mapped is null) sys.Sleep(1);
            sys.Unmap(page, Page);
            return 0;
        });
        Completes(k);
        (writable, readOnly).ShouldBe(((long)ErrorCode.NotPermitted, 1L));
        mapped.ShouldBe(Protection.Read);
        value.ShouldBe(0x5AUL);
    }

    [Fact]
    public void Each_message_is_asked_about_once_so_two_delay_rules_hold_two_messages_one_after_the_other()
    {
        // The injector counts deliveries: a held message is asked about once, however many times its delivery is
        // tried while it is held, so rule nth=2 holds the second message (from when it reaches the head of the queue),
        // not the first one a second time.
        long sentAt = 0;
        var k = new Kernel(FaultRig.Config(rules: [new DelayFaultRule(1, 30), new DelayFaultRule(2, 30)]));
        int handled = 0;
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(T, (_, _) => { handled++; return false; });
            while (handled < 2) sys.Pause();
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            sys.Sleep(2);
            sentAt = sys.Time;
            long a = sys.Send(receiver.Pid, T, sys.Map(Page), 1), b = sys.Send(receiver.Pid, T, sys.Map(Page), 1);
            return a + b == 2 ? 0 : 1;
        });
        EventLog log = Completes(k);
        log.Injections().Select(e => e.Text).ShouldBe([$"delay delivery #1 (type {T} from pid 2) by 30 ticks", $"delay delivery #2 (type {T} from pid 2) by 30 ticks"]);
        long[] delivered = [.. log.Events.Where(e => e.Kind == EventKind.Delivery).Select(e => e.Tick)];
        delivered.Length.ShouldBe(2);
        (delivered[0] - sentAt).ShouldBeInRange(30, 40, "the first message is held 30 ticks, once");
        (delivered[1] - delivered[0]).ShouldBeInRange(30, 40, "the second is held 30 ticks from when it reached the head");
    }
}
