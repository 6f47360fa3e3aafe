using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;
using static MicroKernel.Tests.Memory.MemoryRig;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// Copy-on-write and page transfer at their edges in a paging space (PagedAddressSpace.Ipc.cs): pages referenced for
/// sharing become the space's own first (every page of the range, and no page past it), a duplicate copies nothing
/// past its range, a run of copy-on-write pages stays copy-on-write, a write to a copy-on-write page of a read-only
/// area faults, a copy-on-write break in the loaded space (and only there) is shot down, an attach that runs out of
/// table frames half-way takes back what it wrote, and every transfer counts as a change of the mappings (a grant
/// built before it is stale).
/// </summary>
public sealed class PagedCopyOnWriteEdgesTests : PagedRigTests
{
    private static List<ulong> Hoard(MemoryRig rig)
    {
        var hoard = new List<ulong>();
        while (rig.Frames.TryAllocate(FrameUse.User, out ulong f)) hoard.Add(f);
        return hoard;
    }

    // `pages` pages at Va in `a`, page i holding i + 1, every one copy-on-write (duplicated into `b`).
    private static ulong CopyOnWritePages(PagedAddressSpace a, PagedAddressSpace b, int pages)
    {
        a.Map(Va, (ulong)pages * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        for (int i = 0; i < pages; i++) Write(a, Va + (ulong)i * Page, (ulong)i + 1);
        a.DuplicatePages(Va, (ulong)pages, senderKeepsWrite: true, copies: 1, out PageRun[] dup).ShouldBe(ErrorCode.Ok);
        b.AttachPages(dup[0], Protection.ReadWrite, "copy", out ulong inB).ShouldBe(ErrorCode.Ok);
        for (int i = 0; i < pages; i++) (a.QueryEntry(Va + (ulong)i * Page) & Pte.SoftCopyOnWrite).ShouldBe(Pte.SoftCopyOnWrite);
        return inB;
    }

    [Fact]
    public void Pages_referenced_for_sharing_become_the_spaces_own_first_every_one_and_none_past_the_range()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        ulong inB = CopyOnWritePages(a, b, 3);

        a.ReferencePages(Va, 2, out PageRun run).ShouldBe(ErrorCode.Ok);

        a.CopyOnWriteBreaks.ShouldBe(2);
        for (int i = 0; i < 2; i++)
        {
            ulong entry = a.QueryEntry(Va + (ulong)i * Page);
            (entry & (Pte.Writable | Pte.SoftCopyOnWrite)).ShouldBe(Pte.Writable, $"page {i}");
            run.Frames[i].ShouldBe(Pte.FrameOf(entry));
            rig.Frames.RefCount(run.Frames[i]).ShouldBe(2);
        }
        (a.QueryEntry(Va + 2 * Page) & Pte.SoftCopyOnWrite).ShouldBe(Pte.SoftCopyOnWrite, "past the range");
        Write(a, Va + Page, 0x22);
        Read(b, inB + Page).ShouldBe(2UL, "the receiver's copy is its own");
        a.ReleaseRun(run);
    }

    [Fact]
    public void Pages_referenced_with_no_frame_to_copy_a_copy_on_write_page_are_refused_and_pinned_nowhere()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        CopyOnWritePages(a, b, 1);
        ulong frame = Pte.FrameOf(a.QueryEntry(Va));
        List<ulong> hoard = Hoard(rig);

        a.ReferencePages(Va, 1, out _).ShouldBe(ErrorCode.OutOfMemory);

        rig.Frames.RefCount(frame).ShouldBe(2, "the sender and the receiver, no third reference");
        (a.QueryEntry(Va) & Pte.SoftCopyOnWrite).ShouldBe(Pte.SoftCopyOnWrite);
        foreach (ulong f in hoard) rig.Frames.Release(f);
    }

    [Fact]
    public void A_run_of_several_copy_on_write_pages_moved_away_stays_copy_on_write()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        CopyOnWritePages(a, b, 2);

        PageRun moved = a.DetachPages(Va, 2);

        moved.CopyOnWrite.ShouldBeTrue();
        a.ReleaseRun(moved);
    }

    [Fact]
    public void A_duplicate_copies_no_shared_page_past_its_range()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        a.Map(Va, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        a.ReferencePages(Va + Page, 1, out PageRun shared).ShouldBe(ErrorCode.Ok);
        b.AttachPages(shared, Protection.ReadWrite, "shared", out _).ShouldBe(ErrorCode.Ok);
        int free = rig.Frames.FreeCount;

        a.DuplicatePages(Va, 1, senderKeepsWrite: true, copies: 1, out PageRun[] dup).ShouldBe(ErrorCode.Ok);

        rig.Frames.FreeCount.ShouldBe(free, "the only page duplicated is private: no eager copy");
        dup[0].Frames.ShouldBe([Pte.FrameOf(a.QueryEntry(Va))]);
        a.ReleaseRun(dup[0]);
    }

    [Fact]
    public void A_guard_page_cannot_be_sent()
    {
        PagedAddressSpace a = Rig().NewPaged();
        a.Map(Va, Page, Protection.None, "guard", out _).ShouldBe(ErrorCode.Ok);
        a.CheckSendRange(Va, 1, needWrite: false).ShouldBe(ErrorCode.NotPermitted);
    }

    [Fact]
    public void A_write_to_a_copy_on_write_page_of_an_area_made_read_only_faults_and_copies_nothing()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        CopyOnWritePages(a, b, 1);
        a.Protect(Va, Page, Protection.Read).ShouldBe(ErrorCode.Ok);

        a.TryWriteUInt64(Va, 9, out MemoryFault f).ShouldBeFalse();

        f.Reason.ShouldBe(FaultReason.ReadOnly);
        a.CopyOnWriteBreaks.ShouldBe(0);
        Read(a, Va).ShouldBe(1UL);
    }

    [Fact]
    public void A_copy_on_write_break_in_the_loaded_space_leaves_no_stale_translation()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        ulong inB = CopyOnWritePages(a, b, 1);
        a.Activate();
        Read(a, Va).ShouldBe(1UL); // the read-only translation of the shared frame is in the TLB

        Write(a, Va, 0xA1);

        Read(a, Va).ShouldBe(0xA1UL);
        Read(b, inB).ShouldBe(1UL);
        a.CopyOnWriteBreaks.ShouldBe(1);
    }

    [Fact]
    public void Pages_of_the_loaded_space_referenced_for_sharing_are_writable_at_once()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        ulong inB = CopyOnWritePages(a, b, 1);
        a.Activate();
        Read(a, Va).ShouldBe(1UL); // the read-only translation of the shared frame is in the TLB

        a.ReferencePages(Va, 1, out PageRun run).ShouldBe(ErrorCode.Ok); // copies the page without a fault

        Write(a, Va, 0xA1);
        Read(a, Va).ShouldBe(0xA1UL);
        Read(b, inB).ShouldBe(1UL);
        a.ReleaseRun(run);
    }

    [Fact]
    public void A_copy_on_write_break_in_a_space_not_loaded_touches_the_loaded_spaces_TLB_nowhere()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        CopyOnWritePages(a, b, 1);
        b.Activate();
        Tlb tlb = rig.Machine.Mmu.Tlb;
        long invalidations = tlb.Invalidations, flushes = tlb.Flushes;

        Write(a, Va, 0xA1);
        PageRun moved = a.DetachPages(Va, 1);

        a.CopyOnWriteBreaks.ShouldBe(1);
        tlb.Invalidations.ShouldBe(invalidations);
        tlb.Flushes.ShouldBe(flushes);
        a.ReleaseRun(moved);
    }

    [Fact]
    public void An_attach_that_runs_out_of_table_frames_half_way_takes_back_the_pages_it_wrote()
    {
        MemoryRig rig = Rig(frames: 1024);
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        // b's lowest free range is the last two pages of its first page table: a third page needs a new table.
        b.Map(PagedAddressSpace.MapBase, 510 * Page, Protection.ReadWrite, "low", out _).ShouldBe(ErrorCode.Ok);
        a.Map(Va, 3 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        PageRun run = a.DetachPages(Va, 3);
        List<ulong> hoard = Hoard(rig);
        long generation = b.Generation;

        b.AttachPages(run, Protection.ReadWrite, "late", out _).ShouldBe(ErrorCode.OutOfMemory);

        b.QueryEntry(PagedAddressSpace.MapBase + 510 * Page).ShouldBe(0UL);
        b.QueryEntry(PagedAddressSpace.MapBase + 511 * Page).ShouldBe(0UL);
        b.Areas.Count.ShouldBe(1);
        b.Generation.ShouldBe(generation);
        foreach (ulong f in run.Frames) rig.Frames.RefCount(f).ShouldBe(1);
        foreach (ulong f in hoard) rig.Frames.Release(f);
        b.AttachPages(run, Protection.ReadWrite, "late", out ulong at).ShouldBe(ErrorCode.Ok);
        at.ShouldBe(PagedAddressSpace.MapBase + 510 * Page);
    }

    [Fact]
    public void Sending_receiving_and_copying_a_page_each_change_the_spaces_generation()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        a.Map(Va, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);

        long g = a.Generation;
        a.DuplicatePages(Va, 1, senderKeepsWrite: true, copies: 1, out PageRun[] dup).ShouldBe(ErrorCode.Ok);
        a.Generation.ShouldBeGreaterThan(g, "duplicate");

        g = b.Generation;
        b.AttachPages(dup[0], Protection.ReadWrite, "copy", out ulong inB).ShouldBe(ErrorCode.Ok);
        b.Generation.ShouldBeGreaterThan(g, "attach");

        g = b.Generation;
        Write(b, inB, 5);
        b.CopyOnWriteBreaks.ShouldBe(1);
        b.Generation.ShouldBeGreaterThan(g, "copy-on-write break");

        g = a.Generation;
        PageRun moved = a.DetachPages(Va + Page, 1);
        a.Generation.ShouldBeGreaterThan(g, "detach");
        a.ReleaseRun(moved);
    }
}
