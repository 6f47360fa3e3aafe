using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// A paging grant's life seen from the TLB and the frames (PagedGrantSpace.cs): a callee page unmapped while a grant
/// over it is loaded is shot down (one grant or several), a released grant's root frame reused by another space is
/// no longer the callee's, a grant that cannot build its RPC window gives everything back, a call into its own space
/// pins its SHARED buffer once, and a revoked grant neither translates nor stays loaded.
/// </summary>
public sealed class PagedGrantShootdownTests : PagedRigTests
{
    private static ulong Read(MemoryView v, ulong va)
    {
        v.TryReadUInt64(va, out ulong value, out MemoryFault f).ShouldBeTrue($"read at 0x{va:x}: {f}");
        return value;
    }

    private static void Write(MemoryView v, ulong va, ulong value) =>
        v.TryWriteUInt64(va, value, out MemoryFault f).ShouldBeTrue($"write at 0x{va:x}: {f}");

    private static PagedGrantSpace Grant(AddressSpace callee, AddressSpace caller)
    {
        callee.TryCreateGrant(caller, out GrantSpace? g, out _).ShouldBe(ErrorCode.Ok);
        return (PagedGrantSpace)g!;
    }

    private static List<ulong> Hoard(MemoryRig rig, int leave = 0)
    {
        var hoard = new List<ulong>();
        while (rig.Frames.FreeCount > leave && rig.Frames.TryAllocate(FrameUse.User, out ulong f)) hoard.Add(f);
        return hoard;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_callee_page_unmapped_while_the_first_grant_over_it_is_loaded_is_gone_from_the_TLB(int grants)
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged();
        callee.Map(Va, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        Write(callee, Va, 0xCA11EE);
        var list = new List<PagedGrantSpace>();
        for (int i = 0; i < grants; i++) list.Add(Grant(callee, rig.NewPaged()));
        list[0].Activate();
        Read(list[0], Va).ShouldBe(0xCA11EEUL);
        rig.Machine.Mmu.Tlb.Contains(Va).ShouldBeTrue();

        callee.Unmap(Va, Page).ShouldBe(ErrorCode.Ok);

        rig.Machine.Mmu.Tlb.Contains(Va).ShouldBeFalse();
        list[0].TryReadUInt64(Va, out _, out MemoryFault f).ShouldBeFalse("the frame is free: no stale translation may reach it");
        f.Reason.ShouldBe(FaultReason.NotPresent);
        foreach (PagedGrantSpace g in list) g.Release();
    }

    [Fact]
    public void A_released_grants_root_frame_taken_by_another_space_does_not_make_the_callee_loaded()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        callee.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        PagedGrantSpace g = Grant(callee, caller);
        ulong grantRoot = g.PageTable.RootAddress;
        g.Release();
        PagedAddressSpace next = rig.NewPaged();
        next.PageTable.RootAddress.ShouldBe(grantRoot, "the lowest free frame is the grant's old root");
        next.Map(Va + 0x10_0000, Page, Protection.ReadWrite, "next", out _).ShouldBe(ErrorCode.Ok);
        next.Activate();
        Write(next, Va + 0x10_0000, 0x4E);
        Tlb tlb = rig.Machine.Mmu.Tlb;
        long invalidations = tlb.Invalidations;

        callee.Unmap(Va, Page).ShouldBe(ErrorCode.Ok);
        tlb.Invalidations.ShouldBe(invalidations, "the callee is not the loaded space");
        callee.Destroy();

        rig.Machine.Mmu.Root.ShouldBe(next.PageTable.RootAddress);
        tlb.Contains(Va + 0x10_0000).ShouldBeTrue();
        Read(next, Va + 0x10_0000).ShouldBe(0x4EUL);
    }

    [Fact]
    public void Revoking_a_released_grant_again_leaves_the_space_that_took_its_root_frame_alone()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        PagedGrantSpace g = Grant(callee, caller);
        g.Release();
        PagedAddressSpace next = rig.NewPaged();
        next.PageTable.RootAddress.ShouldBe(g.PageTable.RootAddress);
        next.Map(Va, Page, Protection.ReadWrite, "next", out _).ShouldBe(ErrorCode.Ok);
        next.Activate();
        Write(next, Va, 0x4E);

        g.Revoke();

        rig.Machine.Mmu.Root.ShouldBe(next.PageTable.RootAddress);
        Read(next, Va).ShouldBe(0x4EUL);
        next.QueryEntry(Va).ShouldNotBe(0UL);
    }

    [Fact]
    public void A_grant_that_cannot_build_its_RPC_window_gives_back_its_table_and_the_pins()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        caller.MapShared(Page, new RpcWindow(), out ulong shared).ShouldBe(ErrorCode.Ok);
        ulong frame = Pte.FrameOf(caller.QueryEntry(shared));
        List<ulong> hoard = Hoard(rig, leave: 1); // the grant's root, but no table of its window
        int kernel = rig.Frames.KernelCount;

        callee.TryCreateGrant(caller, out GrantSpace? g, out _).ShouldBe(ErrorCode.OutOfMemory);

        g.ShouldBeNull();
        rig.Frames.RefCount(frame).ShouldBe(1, "no pin left on the caller's SHARED page");
        rig.Frames.KernelCount.ShouldBe(kernel);
        rig.Frames.FreeCount.ShouldBe(1);
        foreach (ulong f in hoard) rig.Frames.Release(f);
    }

    [Fact]
    public void A_grant_whose_callee_cannot_copy_its_copy_on_write_SHARED_page_is_refused()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        callee.MapShared(Page, new RpcWindow(), out ulong shared).ShouldBe(ErrorCode.Ok);
        Write(callee, shared, 0x5A);
        callee.DuplicatePages(shared, 1, senderKeepsWrite: true, copies: 1, out PageRun[] copy).ShouldBe(ErrorCode.Ok);
        List<ulong> hoard = Hoard(rig, leave: 1); // the grant's root, but no copy of the page

        callee.TryCreateGrant(caller, out GrantSpace? g, out _).ShouldBe(ErrorCode.OutOfMemory);

        g.ShouldBeNull();
        rig.Frames.FreeCount.ShouldBe(1);
        (callee.QueryEntry(shared) & Pte.SoftCopyOnWrite).ShouldBe(Pte.SoftCopyOnWrite);
        foreach (ulong f in hoard) rig.Frames.Release(f);
        callee.ReleaseRun(copy[0]);
    }

    [Fact]
    public void A_call_into_its_own_space_pins_each_SHARED_page_once()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        s.MapShared(2 * Page, new RpcWindow(), out ulong shared).ShouldBe(ErrorCode.Ok);
        ulong frame = Pte.FrameOf(s.QueryEntry(shared));

        PagedGrantSpace g = Grant(s, s);

        g.SharedPages.ShouldBe(2);
        g.PinnedReferences(frame).ShouldBe(1);
        rig.Frames.RefCount(frame).ShouldBe(2);
        g.Release();
        rig.Frames.RefCount(frame).ShouldBe(1);
    }

    [Fact]
    public void A_SHARED_buffer_the_callee_maps_during_the_call_does_not_hide_the_callers()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        var window = new RpcWindow();
        caller.MapShared(Page, window, out ulong callers).ShouldBe(ErrorCode.Ok);
        Write(caller, callers, 0xCA11E2);
        PagedGrantSpace g = Grant(callee, caller);

        callee.MapShared(Page, window, out ulong callees).ShouldBe(ErrorCode.Ok);

        Read(g, callers).ShouldBe(0xCA11E2UL);
        g.TryReadUInt64(callees, out _, out MemoryFault f).ShouldBeFalse("the grant took the callee's SHARED buffers when it was built");
        f.Reason.ShouldBe(FaultReason.NotPresent);
        g.Release();
    }

    [Fact]
    public void A_revoked_grant_translates_nothing_and_activating_it_unloads_the_MMU()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        callee.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        PagedGrantSpace g = Grant(callee, caller);
        g.Revoke();
        callee.Activate();

        g.TryTranslate(Va, 8, AccessKind.Read, out ulong pa, out MemoryFault f).ShouldBeFalse();
        pa.ShouldBe(0UL);
        f.Reason.ShouldBe(FaultReason.NotPresent);
        g.Activate();

        rig.Machine.Mmu.Root.ShouldNotBe(callee.PageTable.RootAddress);
        rig.Machine.Mmu.Root.ShouldNotBe(g.PageTable.RootAddress);
        g.Release();
    }

    [Fact]
    public void A_loaded_grant_translates_through_the_TLB()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        callee.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        PagedGrantSpace g = Grant(callee, caller);
        g.Activate();
        Read(g, Va);
        Tlb tlb = rig.Machine.Mmu.Tlb;
        long hits = tlb.Hits, misses = tlb.Misses;

        Read(g, Va + 8);

        tlb.Hits.ShouldBe(hits + 1);
        tlb.Misses.ShouldBe(misses);
        g.Release();
    }
}
