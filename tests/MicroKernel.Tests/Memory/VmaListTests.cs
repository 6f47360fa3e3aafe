using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The sorted VMA list every address space keeps (VmaList.cs), driven directly: lookups at the edges of an area,
/// coverage across adjacent areas and holes, the lowest gap (aligned, and never one that wraps past the top), and
/// carving a range out of the areas it cuts.
/// </summary>
public sealed class VmaListTests
{
    private const ulong Page = AddressSpace.PageSize;

    private static VmaList List(params (ulong Start, ulong End)[] areas)
    {
        var list = new VmaList();
        foreach ((ulong start, ulong end) in areas) list.Insert(new Vma(start, end, Protection.ReadWrite, $"a{start:x}"));
        return list;
    }

    [Fact]
    public void Areas_stay_sorted_whatever_the_insertion_order()
    {
        VmaList list = List((5 * Page, 6 * Page), (1 * Page, 2 * Page), (3 * Page, 4 * Page));
        list.Areas.Select(v => v.Start).ShouldBe([1 * Page, 3 * Page, 5 * Page]);
        list.Count.ShouldBe(3);
    }

    [Fact]
    public void Find_answers_inside_an_area_only_its_end_is_outside()
    {
        VmaList list = List((2 * Page, 4 * Page), (6 * Page, 7 * Page));
        list.Find(2 * Page)!.Start.ShouldBe(2 * Page);
        list.Find(4 * Page - 1)!.Start.ShouldBe(2 * Page);
        list.Find(4 * Page).ShouldBeNull();
        list.Find(2 * Page - 1).ShouldBeNull();
        list.Find(6 * Page + 5)!.Start.ShouldBe(6 * Page);
        list.Find(7 * Page).ShouldBeNull();
    }

    [Fact]
    public void Overlaps_is_false_for_ranges_that_only_touch()
    {
        VmaList list = List((2 * Page, 4 * Page));
        list.Overlaps(0, 2 * Page).ShouldBeFalse();
        list.Overlaps(4 * Page, 5 * Page).ShouldBeFalse();
        list.Overlaps(0, 2 * Page + 1).ShouldBeTrue();
        list.Overlaps(4 * Page - 1, 5 * Page).ShouldBeTrue();
        list.Overlaps(3 * Page, 3 * Page + 1).ShouldBeTrue();
    }

    [Fact]
    public void Covers_needs_every_byte_across_adjacent_areas_and_stops_at_a_hole()
    {
        VmaList list = List((2 * Page, 4 * Page), (4 * Page, 5 * Page), (6 * Page, 8 * Page));
        list.Covers(2 * Page, 5 * Page).ShouldBeTrue("two adjacent areas");
        list.Covers(3 * Page, 4 * Page).ShouldBeTrue();
        list.Covers(4 * Page, 5 * Page).ShouldBeTrue("an area found past one that ends where the range starts");
        list.Covers(2 * Page, 6 * Page).ShouldBeFalse("the hole at 5 pages");
        list.Covers(Page, 3 * Page).ShouldBeFalse("the range starts before the first area");
        list.Covers(6 * Page, 9 * Page).ShouldBeFalse("the range runs past the last area");
        list.Covers(7 * Page, 8 * Page).ShouldBeTrue();
        new VmaList().Covers(Page, 2 * Page).ShouldBeFalse();
    }

    [Fact]
    public void FindGap_takes_the_lowest_gap_that_fits_between_the_bounds()
    {
        VmaList list = List((2 * Page, 4 * Page), (5 * Page, 6 * Page));
        list.FindGap(2 * Page, 2 * Page, 100 * Page).ShouldBe(6 * Page, "the one-page hole at 4 is too small");
        list.FindGap(Page, 2 * Page, 100 * Page).ShouldBe(4 * Page);
        list.FindGap(Page, Page, 100 * Page).ShouldBe(Page);
        list.FindGap(2 * Page, 2 * Page, 8 * Page).ShouldBe(6 * Page, "ends exactly at the bound");
        list.FindGap(3 * Page, 2 * Page, 8 * Page).ShouldBe(0UL, "one page short");
    }

    [Fact]
    public void FindGap_aligns_each_candidate()
    {
        const ulong Align = 8 * Page;
        VmaList list = List((8 * Page, 9 * Page));
        list.FindGap(Page, 7 * Page, 100 * Page, Align).ShouldBe(16 * Page, "aligned up past the area at 8");
        list.FindGap(Page, 1 * Page, 100 * Page, Align).ShouldBe(16 * Page, "aligned up to 8, taken, then past it");
        List().FindGap(Page, 3 * Page, 100 * Page, Align).ShouldBe(8 * Page);
        List().FindGap(Page, 8 * Page, 100 * Page, Align).ShouldBe(8 * Page, "an aligned start stays");
    }

    [Fact]
    public void FindGap_never_returns_a_range_that_wraps_past_the_top_of_the_address_space()
    {
        VmaList list = List((2 * Page, 4 * Page));
        list.FindGap(ulong.MaxValue - Page, 4 * Page, ulong.MaxValue).ShouldBe(0UL);
        List().FindGap(2 * Page, ulong.MaxValue - Page + 1, ulong.MaxValue).ShouldBe(0UL);
    }

    [Fact]
    public void Carve_splits_the_areas_it_cuts_and_returns_exactly_the_range()
    {
        VmaList list = List((2 * Page, 6 * Page));
        list.Areas[0].Shared = true;
        list.Areas[0].Segment = 3;
        List<Vma> carved = list.Carve(3 * Page, 5 * Page);
        carved.Count.ShouldBe(1);
        carved[0].Start.ShouldBe(3 * Page);
        carved[0].End.ShouldBe(5 * Page);
        list.Areas.Select(v => (v.Start, v.End)).ShouldBe([(2 * Page, 3 * Page), (3 * Page, 5 * Page), (5 * Page, 6 * Page)]);
        list.Areas.ShouldAllBe(v => v.Shared && v.Segment == 3 && v.Name == "a2000");
        list.Carve(2 * Page, 6 * Page).Count.ShouldBe(3, "already split: nothing more to cut");
        list.Count.ShouldBe(3);
    }
}
