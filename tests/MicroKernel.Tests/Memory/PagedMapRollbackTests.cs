using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// Maps of a paging space at the edge of what it has (PagedAddressSpace.cs): installing given frames over a mapped
/// range or past the user half is refused, an install that runs out of table frames half-way takes back the leaves it
/// wrote, a map of exactly the free frames succeeds, and a map of 2 MiB pages that runs out on its second page takes
/// back the first.
/// </summary>
public sealed class PagedMapRollbackTests : PagedRigTests
{
    private const ulong Large = Pte.LargePageSize;

    private static List<ulong> Hoard(MemoryRig rig, int leave = 0)
    {
        var hoard = new List<ulong>();
        while (rig.Frames.FreeCount > leave && rig.Frames.TryAllocate(FrameUse.User, out ulong f)) hoard.Add(f);
        return hoard;
    }

    [Fact]
    public void Frames_installed_over_a_mapped_range_or_past_the_user_half_are_refused()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va + Page, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        ulong before = s.QueryEntry(Va + Page);
        rig.Frames.TryAllocate(FrameUse.User, out ulong a).ShouldBeTrue();
        rig.Frames.TryAllocate(FrameUse.User, out ulong b).ShouldBeTrue();

        s.MapFrames(Va, [a, b], Protection.ReadWrite, 0, "over").ShouldBe(ErrorCode.AlreadyMapped);
        s.MapFrames(PagedAddressSpace.UserTop - Page, [a, b], Protection.ReadWrite, 0, "past").ShouldBe(ErrorCode.AlreadyMapped);

        s.QueryEntry(Va).ShouldBe(0UL);
        s.QueryEntry(Va + Page).ShouldBe(before);
        s.QueryEntry(PagedAddressSpace.UserTop - Page).ShouldBe(0UL);
        s.Areas.Count.ShouldBe(1);
        rig.Frames.Release(a);
        rig.Frames.Release(b);
    }

    [Fact]
    public void Frames_installed_across_a_page_table_boundary_with_no_frame_for_the_next_table_are_all_taken_back()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        const ulong Edge = Va + Large - 2 * Page; // two pages in this page table, the third in the next
        rig.Frames.TryAllocate(FrameUse.User, out ulong a).ShouldBeTrue();
        rig.Frames.TryAllocate(FrameUse.User, out ulong b).ShouldBeTrue();
        rig.Frames.TryAllocate(FrameUse.User, out ulong c).ShouldBeTrue();
        List<ulong> hoard = Hoard(rig);
        long generation = s.Generation;

        s.MapFrames(Edge, [a, b, c], Protection.ReadWrite, 0, "edge").ShouldBe(ErrorCode.OutOfMemory);

        s.QueryEntry(Edge).ShouldBe(0UL);
        s.QueryEntry(Edge + Page).ShouldBe(0UL);
        s.Areas.Count.ShouldBe(1);
        s.CheckTablesAgainstVmas("s").ShouldBeEmpty();
        s.Generation.ShouldBe(generation);
        foreach (ulong f in hoard) rig.Frames.Release(f);
        s.MapFrames(Edge, [a, b, c], Protection.ReadWrite, 0, "edge").ShouldBe(ErrorCode.Ok);
    }

    [Fact]
    public void A_map_of_exactly_the_free_frames_succeeds()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, 4 * Page, Protection.ReadWrite, "tables", out _).ShouldBe(ErrorCode.Ok);
        s.Unmap(Va, 4 * Page).ShouldBe(ErrorCode.Ok); // its page tables stay
        List<ulong> hoard = Hoard(rig, leave: 3);

        s.Map(Va, 3 * Page, Protection.ReadWrite, "all", out ulong mapped).ShouldBe(ErrorCode.Ok);

        mapped.ShouldBe(Va);
        rig.Frames.FreeCount.ShouldBe(0);
        s.Unmap(Va, 3 * Page).ShouldBe(ErrorCode.Ok);
        s.Map(Va, 4 * Page, Protection.ReadWrite, "more", out _).ShouldBe(ErrorCode.OutOfMemory);
        rig.Frames.FreeCount.ShouldBe(3);
        foreach (ulong f in hoard) rig.Frames.Release(f);
    }

    [Fact]
    public void A_map_of_large_pages_that_runs_out_on_its_third_page_takes_back_the_first_two()
    {
        MemoryRig rig = Rig(frames: 2100); // three 2 MiB-aligned runs of free frames: from 512, 1024 and 1536
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, Page, Protection.ReadWrite, "tables", out _).ShouldBe(ErrorCode.Ok); // the PD the large pages use
        List<ulong> hoard = Hoard(rig);
        // Free the three runs and two frames more: the deposits of the first two large pages, none for the third.
        var given = hoard.Where(f => f is >= 512 and < 2048).Concat(hoard.Take(2)).ToList();
        foreach (ulong f in given) rig.Frames.Release(f);
        hoard.RemoveAll(given.Contains);
        int free = rig.Frames.FreeCount, user = rig.Frames.UserCount;

        s.Map(Va + Large, 3 * Large, Protection.ReadWrite, MapFlags.LargePages, "large", out ulong mapped).ShouldBe(ErrorCode.OutOfMemory);

        mapped.ShouldBe(0UL);
        for (ulong i = 1; i <= 3; i++) s.QueryEntry(Va + i * Large).ShouldBe(0UL, $"large page {i}");
        s.Areas.Count.ShouldBe(1);
        s.CheckTablesAgainstVmas("s").ShouldBeEmpty();
        rig.Frames.UserCount.ShouldBe(user);
        rig.Frames.FreeCount.ShouldBe(free - 2, "only the deposits stay, table frames of the space");
        for (ulong f = 512; f < 2048; f++) rig.Frames.RefCount(f).ShouldBe(0, $"frame {f}");
        foreach (ulong f in hoard) rig.Frames.Release(f);
    }
}
