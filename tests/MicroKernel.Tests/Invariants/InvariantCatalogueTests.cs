using MicroKernel.Hardware.Paging;
using MicroKernel.Invariants;
using MicroKernel.Ipc.Notify;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// One test per invariant of the catalogue: a program breaks exactly the condition the invariant guards (the test
/// host, which holds the kernel, corrupts its state from inside the program), then makes one syscall. With
/// <see cref="CheckLevel.Syscall"/> the run stops as a kernel panic naming that invariant, after that syscall's exit
/// event, at its tick. Each such test carries <c>[Trait(Breaks, name)]</c>.
/// </summary>
public partial class InvariantCatalogueTests
{
    /// <summary>
    /// The trait that tags a test breaking one invariant on purpose (its value: the invariant's name), so
    /// <c>dotnet test --filter Invariant=tlb-coherence</c> runs them and <see cref="InvariantCoverageTests"/> finds them.
    /// </summary>
    internal const string Breaks = "Invariant";

    private static Kernel Boot(CheckLevel check, ProtectionModel model = ProtectionModel.Paging) =>
        new(new KernelConfig { Frames = 512, Protection = model, MaxTicks = 200_000, Check = check });

    // Runs `k` with an event log; the run must panic on an invariant. Returns the exception and the log.
    private static (InvariantViolationException Error, EventLog Log, RunResult Result) RunToViolation(Kernel k)
    {
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        return (e, log, r);
    }

    // The violation was found right after the exit event of the first `syscall` made after the corruption.
    private static void ShouldBeFoundAfter(InvariantViolationException e, EventLog log, Kernel k, string syscall)
    {
        e.Seq.ShouldNotBeNull();
        KernelEvent at = log.Events.Single(x => x.Seq == e.Seq);
        at.Kind.ShouldBe(EventKind.SyscallExit);
        k.Syscalls.Find(at.Code)!.Name.ShouldBe(syscall);
        e.Tick.ShouldBe(at.Tick);
        e.Where.ShouldStartWith($"after syscall {syscall} of tid");
        log.Events.Single(x => x.Seq == e.Seq + 1).Kind.ShouldBe(EventKind.Panic); // the check panicked at once
    }

    // The test changed kernel state behind the kernel's back (no kernel code ran to mark it): it marks the part it
    // changed, as the kernel's own code does, so the next check point re-checks the invariants that read it.
    // Corruptions through the frame allocator, the page tables or the TLB are marked by those models themselves.
    private static void Changed(Kernel k, CheckedState part) => k.Machine.Memory.Changes.Mark(part);

    private static ulong FrameOf(Kernel k, Sys sys, ulong va) =>
        k.ProcessOf(sys).AddressSpace.UserFrames().Single(x => x.VirtualAddress == va).Frame;

    [Fact]
    public void The_catalogue_names_every_invariant_once_memory_first_then_each_family()
    {
        var k = TestKernels.Boot();
        k.Invariants.Select(i => i.Name).ShouldBe([
            "frame-accounting", "no-freed-frame-mapped", "page-tables-match-vmas", "tlb-coherence", "mpu-regions",
            "page-send-queues", "rpc-grant-lifetime", "notify-units-conserved", "notify-handles-released",
            "shmem-exclusive-ownership", "shmem-teardown"]);
        k.Invariants.ShouldAllBe(i => i.Summary.Length > 10);
        k.FindViolations().ShouldBeEmpty();
    }

    [Fact, Trait(Breaks, "frame-accounting")]
    public void Frame_accounting_catches_a_corrupted_reference_count()
    {
        var k = Boot(CheckLevel.Syscall);
        ulong frame = 0;
        k.Spawn("victim", sys =>
        {
            ulong va = sys.Map(4096);
            frame = FrameOf(k, sys, va);
            k.Frames.AddRef(frame); // one reference too many: the frame could never be freed
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("frame-accounting");
        e.Violations[0].Problem.ShouldBe($"frame {frame} has 2 references but 1 mappings and 0 IPC pins");
        ShouldBeFoundAfter(e, log, k, "yield");
        e.Message.ShouldContain($"invariant frame-accounting broken after syscall yield of tid 1 (victim/main) (after event #{e.Seq}, tick {e.Tick})");
    }

    [Fact, Trait(Breaks, "no-freed-frame-mapped")]
    public void No_freed_frame_mapped_catches_a_frame_freed_while_still_mapped()
    {
        var k = Boot(CheckLevel.Syscall);
        ulong frame = 0, page = 0;
        k.Spawn("victim", sys =>
        {
            page = sys.Map(4096);
            frame = FrameOf(k, sys, page);
            k.Frames.Release(frame); // a use-after-free in the making: the page table still points there
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("no-freed-frame-mapped");
        e.Violations[0].Problem.ShouldBe($"pid 1 (victim) maps 0x{page:x} to frame {frame}, which is free");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "page-tables-match-vmas")]
    public void Page_tables_match_vmas_catches_a_writable_entry_under_a_read_only_vma()
    {
        var k = Boot(CheckLevel.Syscall);
        ulong page = 0;
        k.Spawn("victim", sys =>
        {
            page = sys.Map(4096, Protection.Read);
            var space = (PagedAddressSpace)k.ProcessOf(sys).AddressSpace;
            space.PageTable.SetLeaf(page, space.QueryEntry(page) | Pte.Writable);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("page-tables-match-vmas");
        e.Violations[0].Problem.ShouldStartWith($"pid 1 (victim): page 0x{page:x} of VMA ");
        e.Violations[0].Problem.ShouldContain("the page is writable");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "page-tables-match-vmas")]
    public void Page_tables_match_vmas_catches_a_vma_page_with_no_entry()
    {
        var k = Boot(CheckLevel.Syscall);
        ulong page = 0;
        k.Spawn("victim", sys =>
        {
            page = sys.Map(2 * 4096);
            var space = (PagedAddressSpace)k.ProcessOf(sys).AddressSpace;
            ulong second = space.PageTable.ClearLeaf(page + 4096);
            k.Frames.Release(Pte.FrameOf(second)); // keep the frame books right: only the table disagrees
            sys.Yield();
            return 0;
        });
        var (e, _, _) = RunToViolation(k);
        e.Invariant.ShouldBe("page-tables-match-vmas");
        e.Violations[0].Problem.ShouldContain($"page 0x{page + 4096:x} of VMA");
        e.Violations[0].Problem.ShouldEndWith("has no page-table entry");
    }

    [Fact, Trait(Breaks, "tlb-coherence")]
    public void Tlb_coherence_catches_an_unmap_whose_invalidation_was_skipped()
    {
        var k = Boot(CheckLevel.Syscall);
        ulong page = 0, frame = 0;
        k.Spawn("victim", sys =>
        {
            page = sys.Map(4096);
            frame = FrameOf(k, sys, page);
            sys.Memory.WriteUInt64(page, 42); // the TLB now caches page -> frame, writable
            Tlb tlb = k.Machine.Mmu.Tlb;
            tlb.Contains(page).ShouldBeTrue();
            // The kernel "forgets" the invlpg of this unmap: the entry it would have dropped is put back.
            TlbEntry saved = tlb.Slot(page >> 12);
            k.ProcessOf(sys).AddressSpace.Unmap(page, 4096).ShouldBe(Syscalls.ErrorCode.Ok);
            tlb.Contains(page).ShouldBeFalse();
            tlb.Slot(page >> 12) = saved;
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("tlb-coherence");
        e.Violations.ShouldHaveSingleItem();
        e.Violations[0].Problem.ShouldMatch($@"^TLB entry \d+ translates 0x{page:x} to frame {frame} \(rwx?-?\) but the loaded tables \(CR3 0x[0-9a-f]+\) map nothing there$");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "tlb-coherence")]
    public void Tlb_coherence_catches_a_protect_whose_invalidation_was_skipped()
    {
        var k = Boot(CheckLevel.Syscall);
        k.Spawn("victim", sys =>
        {
            ulong page = sys.Map(4096);
            sys.Memory.WriteUInt64(page, 42);
            Tlb tlb = k.Machine.Mmu.Tlb;
            TlbEntry saved = tlb.Slot(page >> 12);
            k.ProcessOf(sys).AddressSpace.Protect(page, 4096, Protection.Read).ShouldBe(Syscalls.ErrorCode.Ok);
            tlb.Slot(page >> 12) = saved; // still writable in the TLB: a write would go through
            sys.Yield();
            return 0;
        });
        var (e, _, _) = RunToViolation(k);
        e.Invariant.ShouldBe("tlb-coherence");
        e.Violations[0].Problem.ShouldEndWith("but the loaded tables allow only r--");
    }

    [Fact, Trait(Breaks, "mpu-regions")]
    public void Mpu_regions_catches_a_region_that_does_not_cover_its_block()
    {
        var k = Boot(CheckLevel.Syscall, ProtectionModel.ArmV8Mpu);
        k.Spawn("victim", sys =>
        {
            ulong at = sys.Map(4096);
            Vma v = k.AreaAt(sys, at);
            v.Start += 4096; // the region would guard the next block, not the one the VMA owns
            v.End += 4096;
            Changed(k, CheckedState.Spaces);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("mpu-regions");
        e.Violations[0].Problem.ShouldStartWith("pid 1 (victim): region for VMA ");
        e.Violations[0].Problem.ShouldEndWith("does not cover exactly its block");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "mpu-regions")]
    public void Mpu_regions_catches_an_armv7_block_that_is_not_a_power_of_two()
    {
        var k = Boot(CheckLevel.Syscall, ProtectionModel.ArmV7Mpu);
        k.Spawn("victim", sys =>
        {
            ulong at = sys.Map(4 * 4096);
            Vma v = k.AreaAt(sys, at);
            // Three frames of four: the fourth is handed back so the frame books stay right; the block is now odd.
            v.BlockFrames = 3;
            v.End -= 4096;
            k.Frames.Release(v.FirstFrame + 3);
            Changed(k, CheckedState.Spaces);
            sys.Yield();
            return 0;
        });
        var (e, _, _) = RunToViolation(k);
        e.Invariant.ShouldBe("mpu-regions");
        e.Violations[0].Problem.ShouldEndWith("is not a power-of-two block aligned to its size (ARMv7-M)");
    }

    [Fact, Trait(Breaks, "mpu-regions")]
    public void Mpu_regions_catches_a_space_over_its_region_budget()
    {
        var k = Boot(CheckLevel.Syscall, ProtectionModel.ArmV8Mpu);
        int taken = 0;
        k.Spawn("victim", sys =>
        {
            sys.Map(4096);
            sys.Map(4096);
            var space = (MpuAddressSpace)k.ProcessOf(sys).AddressSpace;
            taken = space.Areas.Count;
            // As if the kernel had set regions aside for RPC grants after the VMAs had taken them: one region too few.
            space.RegionBudget = taken - 1;
            Changed(k, CheckedState.Spaces);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("mpu-regions");
        e.Violations.Count.ShouldBe(1); // every region is still well-formed: only the budget is broken
        e.Violations[0].Problem.ShouldBe($"pid 1 (victim): {taken} regions in use, over the budget of {taken - 1}");
        ShouldBeFoundAfter(e, log, k, "yield");
        e.Message.ShouldContain("invariant mpu-regions broken after syscall yield");
    }

    [Fact, Trait(Breaks, "rpc-grant-lifetime")]
    public void Rpc_grant_lifetime_catches_a_grant_that_outlives_its_call()
    {
        var k = Boot(CheckLevel.Syscall);
        k.Spawn("victim", sys =>
        {
            k.RpcStats.ActiveGrants++; // the books say a grant is in use, but no call is in progress
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        e.Violations[0].Problem.ShouldBe("rpc: 1 grants in use but 0 calls in progress");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "notify-units-conserved")]
    public void Notify_units_conserved_catches_a_lost_unit()
    {
        var k = Boot(CheckLevel.Syscall);
        k.Spawn("victim", sys =>
        {
            int h = sys.NotifyCreate("units");
            sys.Notify(h, 2);
            k.Family<NotificationIpc>().LiveObjectList[0].Pending--; // one notify vanishes
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("notify-units-conserved");
        e.Violations[0].Problem.ShouldBe("notification #1 'units' counts 1 units but 2 were notified and 0 taken (2 expected)");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "notify-units-conserved")]
    public void Notify_units_conserved_catches_a_lock_whose_unit_is_doubled()
    {
        var k = Boot(CheckLevel.Syscall);
        k.Spawn("victim", sys =>
        {
            int h = sys.NotifyCreate(null, NotifyFlags.Lock);
            sys.Wait(h);
            NotifyObject lockObject = k.Family<NotificationIpc>().LiveObjectList[0];
            lockObject.Pending++;
            lockObject.Notified++; // the books balance, but the lock is held and free at once
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, _, _) = RunToViolation(k);
        e.Invariant.ShouldBe("notify-units-conserved");
        e.Violations[0].Problem.ShouldStartWith("lock notification #1 has 1 units and holder tid 1");
    }

    [Fact, Trait(Breaks, "notify-handles-released")]
    public void Notify_handles_released_catches_an_exited_process_that_keeps_its_handle_table()
    {
        var k = Boot(CheckLevel.Syscall);
        Process first = k.Spawn("first", sys =>
        {
            sys.NotifyCreate("mine"); // its handle table is dropped when it exits
            return 0;
        });
        k.Spawn("second", sys =>
        {
            while (first.State != ProcessState.Exited) sys.Yield();
            k.Family<NotificationIpc>().HandleTableOf(first); // the kernel "forgets" to drop it: a table for a dead pid
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("notify-handles-released");
        e.Violations.ShouldHaveSingleItem().Problem.ShouldBe($"exited {first} still has a handle table");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "page-send-queues")]
    public void Page_send_queues_catches_a_queue_over_its_bound()
    {
        var k = Boot(CheckLevel.Syscall);
        int capacity = k.Config.MessageQueueCapacity;
        k.Spawn("victim", sys =>
        {
            Queue<QueuedPageMessage> queue = k.Family<PageSendIpc>().QueueOf(k.ProcessOf(sys));
            for (int i = 0; i <= capacity; i++) queue.Enqueue(new QueuedPageMessage(1, 7, new PageRun([], copyOnWrite: false), 0));
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("page-send-queues");
        e.Violations.Select(v => v.Problem).ShouldBe([
            $"pid 1 (victim) has {capacity + 1} queued messages, over the capacity of {capacity}",
            $"pid 1 (victim) has {capacity + 1} queued messages but only 0 pending upcalls (a message nobody will deliver)"]);
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact]
    public void At_level_end_a_violation_is_found_only_when_the_run_ends_and_is_still_a_panic()
    {
        var k = Boot(CheckLevel.End);
        long yieldsAfter = 0;
        k.Spawn("victim", sys =>
        {
            ulong va = sys.Map(4096);
            k.Frames.AddRef(FrameOf(k, sys, va));
            for (int i = 0; i < 3; i++) { sys.Yield(); yieldsAfter++; }
            return 0;
        });
        var (e, log, r) = RunToViolation(k);
        yieldsAfter.ShouldBe(3); // the run went on
        e.Invariant.ShouldBe("frame-accounting");
        e.Where.ShouldBe("at the end of the run");
        r.Panic!.Pid.ShouldBe(0);
        log.Events[^1].Kind.ShouldBe(EventKind.Panic);
        e.Seq.ShouldBe(log.Events[^2].Seq); // the last event before the check
    }

    [Fact]
    public void At_level_tick_a_violation_is_found_at_the_next_scheduling_point_of_a_compute_loop()
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 200_000, Check = CheckLevel.Tick, AccessesPerTick = 8 });
        long accesses = 0;
        k.Spawn("victim", sys =>
        {
            ulong va = sys.Map(4096);
            k.Frames.AddRef(FrameOf(k, sys, va));
            // No syscall from here on: only the scheduling points of the loop's memory accesses can see it.
            for (int i = 0; i < 1000; i++) { sys.Memory.WriteUInt64(va, (ulong)i); accesses++; }
            return 0;
        });
        var (e, _, _) = RunToViolation(k);
        e.Invariant.ShouldBe("frame-accounting");
        e.Where.ShouldBe("at a scheduling point of tid 1 (victim/main)");
        accesses.ShouldBeLessThan(1000);
    }

    [Fact]
    public void At_level_syscall_a_compute_loop_runs_on_until_its_next_syscall()
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 200_000, Check = CheckLevel.Syscall, AccessesPerTick = 8 });
        long accesses = 0;
        k.Spawn("victim", sys =>
        {
            ulong va = sys.Map(4096);
            k.Frames.AddRef(FrameOf(k, sys, va));
            for (int i = 0; i < 100; i++) { sys.Memory.WriteUInt64(va, (ulong)i); accesses++; }
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        accesses.ShouldBe(100);
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact]
    public void CheckInvariants_prefixes_each_problem_with_its_invariant_name()
    {
        var k = TestKernels.Boot();
        IReadOnlyList<string>? problems = null;
        k.Spawn("victim", sys =>
        {
            ulong frame = FrameOf(k, sys, sys.Map(4096));
            k.Frames.AddRef(frame);
            problems = k.CheckInvariants();
            k.Frames.Release(frame); // undone: the run ends sound
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        problems.ShouldNotBeNull().ShouldHaveSingleItem().ShouldStartWith("frame-accounting: frame ");
    }
}
