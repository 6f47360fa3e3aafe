using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The page-tables-match-vmas check of a paging space (PagedAddressSpace.Invariants.cs): its public operations never
/// leave a leaf that disagrees with its VMA, so each test writes one wrong leaf straight into the table, as a stray
/// write would, and reads the exact report; a destroyed space, whose tables are free, reports nothing.
/// </summary>
public sealed class PagedTablesCheckTests : PagedRigTests
{
    public static TheoryData<Protection, ulong, string> WrongLeaves => new()
    {
        { Protection.None, Pte.Present | Pte.User | Pte.NoExecute, "a guard page (---) is present" },
        { Protection.Read, Pte.SoftKept, "the page is not present" },
        { Protection.Read, Pte.Present | Pte.NoExecute, "the page is supervisor-only" },
        { Protection.Read, Pte.Present | Pte.User | Pte.Global | Pte.NoExecute, "the page is global" },
        { Protection.Read, Pte.Present | Pte.User | Pte.Writable | Pte.NoExecute, "the page is writable" },
        { Protection.ReadWrite, Pte.Present | Pte.User | Pte.NoExecute, "the page is read-only and not copy-on-write" },
        { Protection.Read, Pte.Present | Pte.User, "the page is executable" },
        { Protection.Read | Protection.Execute, Pte.Present | Pte.User | Pte.NoExecute, "the page is not executable" },
    };

    [Theory]
    [MemberData(nameof(WrongLeaves))]
    public void A_leaf_that_does_not_enforce_its_VMA_is_reported_with_the_reason(Protection protection, ulong flags, string why)
    {
        PagedAddressSpace s = Rig().NewPaged();
        s.Map(Va, Page, protection, "data", out _).ShouldBe(ErrorCode.Ok);
        s.CheckTablesAgainstVmas("s").ShouldBeEmpty();
        ulong entry = Pte.Make(Pte.FrameOf(s.QueryEntry(Va)), flags);

        s.PageTable.SetLeaf(Va, entry).ShouldBeTrue();

        s.CheckTablesAgainstVmas("s").ShouldBe([$"s: page 0x{Va:x} of VMA {s.Areas.Single()}: {why} (entry 0x{entry:x})"]);
    }

    [Theory]
    [InlineData(Protection.None, Pte.SoftKept)]
    [InlineData(Protection.ReadWrite, Pte.Present | Pte.User | Pte.NoExecute | Pte.SoftCopyOnWrite)]
    [InlineData(Protection.Read | Protection.Execute, Pte.Present | Pte.User)]
    public void A_leaf_that_enforces_its_VMA_is_not_reported(Protection protection, ulong flags)
    {
        PagedAddressSpace s = Rig().NewPaged();
        s.Map(Va, Page, protection, "data", out _).ShouldBe(ErrorCode.Ok);
        s.PageTable.SetLeaf(Va, Pte.Make(Pte.FrameOf(s.QueryEntry(Va)), flags)).ShouldBeTrue();
        s.CheckTablesAgainstVmas("s").ShouldBeEmpty();
    }

    [Fact]
    public void A_leaf_in_no_VMA_is_reported_with_its_frame()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        rig.Frames.TryAllocate(FrameUse.User, out ulong frame).ShouldBeTrue();

        s.PageTable.SetLeaf(Va, Pte.Make(frame, PagedAddressSpace.FlagsFor(Protection.ReadWrite))).ShouldBeTrue();

        s.CheckTablesAgainstVmas("pid 7").ShouldBe([$"pid 7: page 0x{Va:x} is mapped (frame {frame}) but lies in no VMA"]);
    }

    [Fact]
    public void A_destroyed_space_reports_nothing_and_maps_nothing_though_its_old_table_frames_still_hold_entries()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        s.QueryEntry(Va).ShouldNotBe(0UL);

        s.Destroy();

        s.CheckTablesAgainstVmas("s").ShouldBeEmpty();
        s.QueryEntry(Va).ShouldBe(0UL);
        s.QueryEntry(Va + Page).ShouldBe(0UL);
    }
}
