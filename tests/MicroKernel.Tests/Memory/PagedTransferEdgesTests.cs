using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;
using static MicroKernel.Tests.Memory.MemoryRig;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// Edges of a paging space's page transfer and protection (PagedAddressSpace.cs, PagedAddressSpace.Ipc.cs), driven
/// directly: the RPC window ordinary maps may not touch, the TLB shootdown after pages leave the loaded space (page by
/// page up to 32, one flush beyond), a moved copy-on-write page that stays copy-on-write, an attach that runs out of
/// table frames, and what a protect keeps of an entry.
/// </summary>
public sealed class PagedTransferEdgesTests : PagedRigTests
{
    [Fact]
    public void Ordinary_maps_may_border_the_RPC_window_but_not_touch_it()
    {
        PagedAddressSpace s = Rig().NewPaged();
        const ulong Base = PagedAddressSpace.RpcWindowBase, Top = PagedAddressSpace.RpcWindowTop;
        s.Map(Base, Page, Protection.ReadWrite, "in", out _).ShouldBe(ErrorCode.BadAddress);
        s.Map(Top - Page, Page, Protection.ReadWrite, "in", out _).ShouldBe(ErrorCode.BadAddress);
        s.Map(Base - Page, 2 * Page, Protection.ReadWrite, "into", out _).ShouldBe(ErrorCode.BadAddress);
        s.Areas.ShouldBeEmpty();
        s.Map(Base - Page, Page, Protection.ReadWrite, "below", out _).ShouldBe(ErrorCode.Ok);
        s.Map(Top, Page, Protection.ReadWrite, "above", out _).ShouldBe(ErrorCode.Ok);
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(32, false)]
    [InlineData(33, true)]
    [InlineData(40, true)]
    public void Pages_detached_from_the_loaded_space_leave_no_translation_behind(int pages, bool oneFlush)
    {
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, (ulong)pages * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        s.Activate();
        for (int i = 0; i < pages; i++) Write(s, Va + (ulong)i * Page, (ulong)i + 1); // every page in the TLB
        Tlb tlb = rig.Machine.Mmu.Tlb;
        long flushes = tlb.Flushes, invalidations = tlb.Invalidations;

        PageRun run = s.DetachPages(Va, (ulong)pages);

        tlb.Flushes.ShouldBe(flushes + (oneFlush ? 1 : 0));
        tlb.Invalidations.ShouldBe(invalidations + (oneFlush ? 0 : pages));
        for (int i = 0; i < pages; i++)
        {
            s.TryReadUInt64(Va + (ulong)i * Page, out _, out MemoryFault f).ShouldBeFalse($"page {i} is gone");
            f.Reason.ShouldBe(FaultReason.NotPresent);
        }
        run.Count.ShouldBe(pages);
        run.CopyOnWrite.ShouldBeFalse();
        s.ReleaseRun(run);
    }

    [Fact]
    public void A_copy_on_write_page_moved_to_another_space_stays_copy_on_write_there()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged(), c = rig.NewPaged();
        a.Map(Va, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        Write(a, Va, 0xB0);
        a.DuplicatePages(Va, 1, senderKeepsWrite: true, copies: 1, out PageRun[] dup).ShouldBe(ErrorCode.Ok);
        b.AttachPages(dup[0], Protection.ReadWrite, "copy", out ulong inB).ShouldBe(ErrorCode.Ok);

        PageRun moved = a.DetachPages(Va, 2); // the first page copy-on-write, the second private
        moved.CopyOnWrite.ShouldBeTrue("one page of the run is a copy another space holds");
        c.AttachPages(moved, Protection.ReadWrite, "moved", out ulong inC).ShouldBe(ErrorCode.Ok);
        Write(c, inC, 0xC0);
        Read(b, inB).ShouldBe(0xB0UL, "the write in the receiver copied the page");
        c.CopyOnWriteBreaks.ShouldBe(1);
    }

    [Fact]
    public void A_private_run_attached_writable_is_writable_at_once_and_read_only_when_attached_so()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        a.Map(Va, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        b.AttachPages(a.DetachPages(Va, 1), Protection.ReadWrite, "rw", out ulong rw).ShouldBe(ErrorCode.Ok);
        (b.QueryEntry(rw) & Pte.Writable).ShouldBe(Pte.Writable);
        (b.QueryEntry(rw) & Pte.SoftCopyOnWrite).ShouldBe(0UL);
        Write(b, rw, 1);
        b.CopyOnWriteBreaks.ShouldBe(0);

        a.DuplicatePages(Va + Page, 1, senderKeepsWrite: true, copies: 1, out PageRun[] dup).ShouldBe(ErrorCode.Ok);
        b.AttachPages(dup[0], Protection.Read, "ro", out ulong ro).ShouldBe(ErrorCode.Ok);
        (b.QueryEntry(ro) & (Pte.Writable | Pte.SoftCopyOnWrite)).ShouldBe(Pte.SoftCopyOnWrite, "a read-only copy stays copy-on-write: made writable, it copies first");
        b.TryWriteUInt64(ro, 1, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReadOnly);
    }

    [Fact]
    public void An_attach_that_runs_out_of_table_frames_maps_nothing_and_leaves_the_run_to_the_caller()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        a.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        PageRun run = a.DetachPages(Va, 1);
        var hoard = new List<ulong>();
        while (rig.Frames.TryAllocate(FrameUse.User, out ulong f)) hoard.Add(f);
        long generation = b.Generation;

        b.AttachPages(run, Protection.ReadWrite, "late", out _).ShouldBe(ErrorCode.OutOfMemory);

        b.Areas.ShouldBeEmpty();
        b.UserFrames().ShouldBeEmpty();
        b.Generation.ShouldBe(generation);
        rig.Frames.RefCount(run.Frames[0]).ShouldBe(1, "the run still holds its reference");
        foreach (ulong f in hoard) rig.Frames.Release(f);
        b.AttachPages(run, Protection.ReadWrite, "late", out _).ShouldBe(ErrorCode.Ok);
    }

    [Fact]
    public void Protect_keeps_the_accessed_and_dirty_bits_and_a_copy_on_write_page_stays_read_only_until_written()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        a.Map(Va, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        a.Activate();
        Write(a, Va + Page, 7);
        a.Protect(Va + Page, Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        (a.QueryEntry(Va + Page) & (Pte.Accessed | Pte.Dirty)).ShouldBe(Pte.Accessed | Pte.Dirty);
        (a.QueryEntry(Va + Page) & Pte.Writable).ShouldBe(0UL);

        Write(a, Va, 0xA0);
        a.DuplicatePages(Va, 1, senderKeepsWrite: true, copies: 1, out PageRun[] dup).ShouldBe(ErrorCode.Ok);
        b.AttachPages(dup[0], Protection.ReadWrite, "copy", out ulong inB).ShouldBe(ErrorCode.Ok);
        a.Protect(Va, Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        a.Protect(Va, Page, Protection.ReadWrite).ShouldBe(ErrorCode.Ok);
        (a.QueryEntry(Va) & Pte.Writable).ShouldBe(0UL, "still copy-on-write");
        (a.QueryEntry(Va) & Pte.SoftCopyOnWrite).ShouldBe(Pte.SoftCopyOnWrite);
        Write(a, Va, 0xA1);
        Read(b, inB).ShouldBe(0xA0UL);
        a.CopyOnWriteBreaks.ShouldBe(1);
    }

    [Fact]
    public void A_copy_on_write_break_with_no_free_frame_faults_and_changes_nothing()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        a.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        Write(a, Va, 0xA0);
        a.DuplicatePages(Va, 1, senderKeepsWrite: true, copies: 1, out PageRun[] dup).ShouldBe(ErrorCode.Ok);
        b.AttachPages(dup[0], Protection.ReadWrite, "copy", out ulong inB).ShouldBe(ErrorCode.Ok);
        var hoard = new List<ulong>();
        while (rig.Frames.TryAllocate(FrameUse.User, out ulong f)) hoard.Add(f);
        ulong entry = a.QueryEntry(Va);

        a.TryWriteUInt64(Va, 0xA1, out MemoryFault fault).ShouldBeFalse();

        fault.Reason.ShouldBe(FaultReason.ReadOnly);
        a.QueryEntry(Va).ShouldBe(entry);
        a.CopyOnWriteBreaks.ShouldBe(0);
        Read(b, inB).ShouldBe(0xA0UL);
        foreach (ulong f in hoard) rig.Frames.Release(f);
        Write(a, Va, 0xA1);
        Read(b, inB).ShouldBe(0xA0UL);
    }
}
