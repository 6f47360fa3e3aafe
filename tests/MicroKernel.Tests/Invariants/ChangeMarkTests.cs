using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;
using MicroKernel.Invariants;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// Every path that changes state an invariant reads marks it changed (<see cref="StateChanges"/>), or a check point
/// would skip the invariant and a kernel bug there would go unseen until the end of the run. Each family: the models
/// mark what they change (frames, page tables, TLB, MPU), and end to end a corruption planted where no check point ran
/// since is caught by the check point right after the normal path that changed that state, not at the end.
/// </summary>
public class ChangeMarkTests
{
    private static Kernel Boot(CheckLevel check, ProtectionModel model = ProtectionModel.Paging) =>
        new(new KernelConfig { Frames = 512, Protection = model, MaxTicks = 200_000, Check = check });

    // Forgets what is marked, runs `change`, and returns what it marked.
    private static CheckedState MarkedBy(StateChanges changes, Action change)
    {
        changes.Take();
        change();
        return changes.Take();
    }

    [Fact]
    public void The_frame_allocator_marks_every_change_of_its_books()
    {
        var memory = new PhysicalMemory(64);
        var frames = new FrameAllocator(memory);
        ulong f = 0;
        MarkedBy(memory.Changes, () => frames.TryAllocate(FrameUse.User, out f).ShouldBeTrue()).ShouldBe(CheckedState.Frames);
        MarkedBy(memory.Changes, () => frames.AddRef(f)).ShouldBe(CheckedState.Frames);
        MarkedBy(memory.Changes, () => frames.Retag(f, FrameUse.Kernel)).ShouldBe(CheckedState.Frames);
        MarkedBy(memory.Changes, () => frames.Release(f)).ShouldBe(CheckedState.Frames);
        MarkedBy(memory.Changes, () => frames.Release(f)).ShouldBe(CheckedState.Frames); // the last reference: freed
        MarkedBy(memory.Changes, () => frames.TryAllocateContiguous(4, 4, FrameUse.User, out _).ShouldBeTrue()).ShouldBe(CheckedState.Frames);
    }

    [Fact]
    public void Page_tables_mark_the_spaces_on_every_entry_written()
    {
        var memory = new PhysicalMemory(64);
        var frames = new FrameAllocator(memory);
        PageTable table = PageTable.TryCreate(memory, frames)!;
        frames.TryAllocate(FrameUse.User, out ulong f).ShouldBeTrue();
        MarkedBy(memory.Changes, () => table.SetLeaf(0x40_0000, Hardware.Paging.Pte.Make(f, Hardware.Paging.Pte.Present | Hardware.Paging.Pte.User)).ShouldBeTrue())
            .HasFlag(CheckedState.Spaces).ShouldBeTrue(); // (the intermediate tables take frames too)
        MarkedBy(memory.Changes, () => table.ClearLeaf(0x40_0000).ShouldNotBe(0UL)).ShouldBe(CheckedState.Spaces);
        MarkedBy(memory.Changes, () => table.ClearLeaf(0x40_0000).ShouldBe(0UL)).ShouldBe(CheckedState.None); // nothing there: nothing written
    }

    [Fact]
    public void The_tlb_marks_every_fill_flush_and_invalidation()
    {
        var machine = new Machine(64);
        var tlb = machine.Mmu.Tlb;
        StateChanges changes = machine.Memory.Changes;
        MarkedBy(changes, () => tlb.Fill(0x1000, 12, 0x2000, 1, global: false)).ShouldBe(CheckedState.Tlb);
        MarkedBy(changes, () => tlb.Invalidate(0x1000)).ShouldBe(CheckedState.Tlb);
        MarkedBy(changes, tlb.Flush).ShouldBe(CheckedState.Tlb);
        MarkedBy(changes, tlb.FlushAll).ShouldBe(CheckedState.Tlb);
        MarkedBy(changes, () => machine.Mmu.LoadRoot(0x3000)).ShouldBe(CheckedState.Tlb); // a CR3 load changes what the TLB must agree with
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void The_mpu_marks_the_spaces_on_every_register_write(ProtectionModel model)
    {
        var machine = new Machine(64, model);
        Hardware.Mpu.Mpu mpu = machine.Mpu!;
        StateChanges changes = machine.Memory.Changes;
        MarkedBy(changes, () => mpu.ProgramRegion(0, 0x1000, 0x1000, MpuAccess.ReadWrite, executeNever: true).ShouldBe(MpuError.None))
            .ShouldBe(CheckedState.Spaces);
        MarkedBy(changes, () => mpu.DisableRegion(0)).ShouldBe(CheckedState.Spaces);
        MarkedBy(changes, mpu.DisableAll).ShouldBe(CheckedState.Spaces);
        MarkedBy(changes, () => mpu.Enabled = false).ShouldBe(CheckedState.Spaces);
        MarkedBy(changes, () => mpu.PrivilegedDefaultMap = false).ShouldBe(CheckedState.Spaces);
        MarkedBy(changes, () => mpu.ProgramRegion(99, 0x1000, 0x1000, MpuAccess.ReadWrite, executeNever: true)).ShouldBe(CheckedState.None); // refused: nothing changed
    }

    [Fact]
    public void Only_getpid_gettid_trace_mark_and_yield_declare_that_they_change_nothing()
    {
        // trace_mark only copies bytes into the trace. Every other syscall (those of the IPC families: RPC, notifications, page-send, shared memory) marks
        // everything, which is what keeps the families' invariants re-checked after them.
        var k = TestKernels.Boot();
        k.Syscalls.All.Where(s => s.Writes != CheckedState.All).Select(s => s.Name).Order(StringComparer.Ordinal)
            .ShouldBe(["getpid", "gettid", "trace_mark", "yield"]);
        k.Syscalls.All.Where(s => s.Writes != CheckedState.All).ShouldAllBe(s => s.Writes == CheckedState.None);
    }

    [Fact]
    public void A_syscall_that_blocked_is_checked_at_its_exit_even_after_other_threads_took_the_marks()
    {
        // The main thread's `wait` marks at its entry, blocks, and the waker thread's check points take that mark.
        // The waker then breaks the RPC books (no code marks that) and yields; both threads share one address space,
        // so the switch marks nothing. The wait's handler runs on and returns: the check point after it must re-run
        // every invariant, for a handler that blocked changes state after it wakes.
        var k = Boot(CheckLevel.Syscall);
        int waiterTid = 0;
        k.Spawn("waiter", sys =>
        {
            waiterTid = sys.Tid;
            int go = sys.NotifyCreate("go");
            sys.CreateThread((s, _) =>
            {
                Processes.SimThread waiter = k.Scheduler.LiveThreads.Single(t => t.Tid == waiterTid);
                while (waiter.State != Processes.SimThreadState.Blocked) s.Yield();
                s.Notify(go);
                s.Syscall(SyscallNumber.GetPid); // nothing is pending now
                k.RpcStats.ActiveGrants++;
                s.Yield();
                return 0;
            });
            sys.Wait(go);
            sys.Syscall(SyscallNumber.GetPid);
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        e.Where.ShouldStartWith($"after syscall wait of tid {waiterTid} ");
        KernelEvent at = log.Events.Single(x => x.Seq == e.Seq);
        (at.Kind, at.Tid).ShouldBe((EventKind.SyscallExit, waiterTid));
    }

    [Fact]
    public void A_page_send_delivery_is_checked_after_its_handler_returns()
    {
        // The handler's own getpid takes the marks; the handler then breaks the RPC books and returns. The delivery
        // goes on (it changes the queue and the mappings after the handler), so the check point of the syscall the
        // upcall ran in must re-run every invariant.
        var k = Boot(CheckLevel.Syscall);
        bool delivered = false;
        var consumer = k.Spawn("consumer", sys =>
        {
            sys.RegisterHandler(7, (s, m) =>
            {
                s.Syscall(SyscallNumber.GetPid);
                k.RpcStats.ActiveGrants++;
                delivered = true;
                return true;
            });
            while (!delivered) sys.Syscall(SyscallNumber.GetPid); // the upcall runs at the entry of one of these
            sys.Syscall(SyscallNumber.GetPid);
            return 0;
        });
        k.Spawn("producer", sys =>
        {
            ulong page = sys.Map(4096);
            return sys.Send(consumer.Pid, 7, page, 1, SendFlags.None) == 1 ? 0 : 1;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        e.Where.ShouldStartWith("after syscall getpid of tid");
        KernelEvent delivery = log.Events.Single(x => x.Kind == EventKind.Delivery);
        // The first syscall exit after the delivery: the one the upcall ran in, not a later one.
        log.Events.First(x => x.Seq > delivery.Seq && x.Kind == EventKind.SyscallExit).Seq.ShouldBe(e.Seq!.Value);
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Loading_the_next_process_regions_at_a_switch_re_checks_the_regions(ProtectionModel model)
    {
        // The first process breaks its own region (behind the kernel's back), takes the marks with a getpid and
        // yields; the switch programs the MPU with the second process's regions, and that must re-run mpu-regions at
        // the second process's first check point (a yield alone marks nothing).
        var k = Boot(CheckLevel.Tick, model);
        k.Spawn("breaker", sys =>
        {
            ulong at = sys.Map(4096);
            Vma v = k.AreaAt(sys, at);
            v.Start += 4096;
            v.End += 4096;
            sys.Syscall(SyscallNumber.GetPid);
            sys.Yield();
            return 0;
        });
        var other = k.Spawn("other", sys => sys.Syscall(SyscallNumber.GetPid) == 0 ? 1 : 0);
        var r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("mpu-regions");
        e.Where.ShouldContain($"({other.Name}/main)");
    }

    [Fact]
    public void A_tlb_fill_re_checks_tlb_coherence_at_the_next_scheduling_point()
    {
        // A stale translation planted without a mark: a fresh fill (a TLB miss, no syscall) must re-run tlb-coherence
        // at the next check point, which a getpid alone would not.
        var k = Boot(CheckLevel.Syscall);
        k.Spawn("toucher", sys =>
        {
            ulong a = sys.Map(4096), b = sys.Map(4096);
            ulong frameB = k.ProcessOf(sys).AddressSpace.UserFrames().Single(x => x.VirtualAddress == b).Frame;
            sys.Memory.WriteUInt64(a, 1);
            sys.Syscall(SyscallNumber.GetPid);
            // Point a's page-table entry at b's frame behind the MMU's back (RAM write, no PageTable call, no mark).
            ulong pte = PteAddress(k, a);
            k.Machine.Memory.WriteUInt64(pte, (k.Machine.Memory.ReadUInt64(pte) & ~Hardware.Paging.Pte.AddressMask) | (frameB << 12));
            sys.Syscall(SyscallNumber.GetPid); // nothing marked: no check
            sys.Memory.WriteUInt64(b, 2); // a TLB miss: the fill marks the TLB
            sys.Syscall(SyscallNumber.GetPid);
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("tlb-coherence");
        e.Where.ShouldStartWith("after syscall getpid of tid");
        long lastMap = log.Events.Last(x => x.Kind == EventKind.SyscallExit && x.Code == (long)SyscallNumber.Map).Seq;
        // ProcessOf's getpid, the one after the first fill, the one after the corruption (no check), the one after
        // the fill of b: the check ran there and not before.
        log.Events.Where(x => x.Kind == EventKind.SyscallExit && x.Seq > lastMap && x.Seq <= e.Seq).Select(x => k.Syscalls.Find(x.Code)!.Name)
            .ShouldBe(["getpid", "getpid", "getpid", "getpid"]);
    }

    // The physical address of the leaf entry mapping `va` in the loaded page tables (a walk of the 4 levels).
    private static ulong PteAddress(Kernel k, ulong va)
    {
        PhysicalMemory ram = k.Machine.Memory;
        ulong table = k.Machine.Mmu.Root;
        for (int level = 3; level > 0; level--)
            table = ram.ReadUInt64(table + (((va >> (12 + 9 * level)) & 511) << 3)) & Hardware.Paging.Pte.AddressMask;
        return table + (((va >> 12) & 511) << 3);
    }
}
