using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The page table's large-page operations (PageTable.cs) on a table of its own: <see cref="PageTable.SetLarge"/> at
/// both levels and when it must refuse, <see cref="PageTable.LargeEntry"/> and <see cref="PageTable.ClearLarge"/>, a
/// 4 KiB view of a 1 GiB page, and a 1 GiB page in the dump. The entries name frames only; nothing reads them.
/// </summary>
public sealed class PageTableLargeTests
{
    private const ulong Page = AddressSpace.PageSize;
    private const ulong Big = 0x0000_0040_0000_0000; // 256 GiB: PML4[0], PDPT[256]
    private const ulong P = Pte.Present, RW = Pte.Writable, US = Pte.User;

    private readonly PhysicalMemory _ram = new(256);
    private readonly FrameAllocator _frames;
    private readonly PageTable _table;

    public PageTableLargeTests()
    {
        _frames = new FrameAllocator(_ram, reservedFrames: 1);
        _table = PageTable.TryCreate(_ram, _frames)!;
    }

    [Fact]
    public void A_1_GiB_page_is_one_PDPTE_that_LargeEntry_finds_and_Query_views_as_4_KiB_pages()
    {
        const ulong Frame = 1UL << 18; // 1 GiB-aligned
        _table.SetLarge(Big, 2, Pte.Make(Frame, P | RW | US)).ShouldBeTrue();
        ulong entry = _table.LargeEntry(Big + 0x1234_5678, out int level);
        level.ShouldBe(2);
        entry.ShouldBe(Pte.Make(Frame, P | RW | US | Pte.LargePage));
        _table.Query(Big + 0x1234_5678).ShouldBe(Pte.Make(Frame + 0x12345, P | RW | US));
        _table.Dump().ShouldContain($"1 GiB page, frames {Frame}..{Frame + (1UL << 18) - 1}");
        _table.ClearLarge(Big + 0x100_0000).ShouldBe(entry);
        _table.LargeEntry(Big, out level).ShouldBe(0UL);
        level.ShouldBe(0);
        _table.Query(Big).ShouldBe(0UL);
    }

    [Fact]
    public void A_2_MiB_page_is_found_at_level_1_and_a_4_KiB_page_or_nothing_is_no_large_entry()
    {
        const ulong Va = 0x4000_0000, Frame = 512;
        _table.SetLarge(Va, 1, Pte.Make(Frame, P | US)).ShouldBeTrue();
        _table.LargeEntry(Va + 0x1F_F000, out int level).ShouldBe(Pte.Make(Frame, P | US | Pte.LargePage));
        level.ShouldBe(1);
        _table.SetLeaf(Va + 0x20_0000, Pte.Make(9, P | US)).ShouldBeTrue();
        _table.LargeEntry(Va + 0x20_0000, out level).ShouldBe(0UL);
        level.ShouldBe(0);
        _table.LargeEntry(Big, out level).ShouldBe(0UL, "nothing there");
        level.ShouldBe(0);
        _table.ClearLarge(Va + 0x20_0000).ShouldBe(0UL, "a 4 KiB page is no large page");
        _table.Query(Va + 0x20_0000).ShouldBe(Pte.Make(9, P | US), "and it stays");
        _table.ClearLarge(Big).ShouldBe(0UL);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Large_pages_live_in_a_PDE_or_a_PDPTE_only(int level) =>
        Should.Throw<ArgumentOutOfRangeException>(() => _table.SetLarge(Big, level, Pte.Make(0, P)));

    [Fact]
    public void SetLarge_refuses_a_slot_in_use_and_takes_one_whose_table_is_empty()
    {
        const ulong Va = 0x4000_0000;
        _table.SetLeaf(Va + 5 * Page, Pte.Make(9, P | US)).ShouldBeTrue();
        int tables = _table.TableFrameCount;
        _table.SetLarge(Va, 1, Pte.Make(512, P | US)).ShouldBeFalse("a page is mapped in the 2 MiB");
        _table.SetLarge(Va & ~((1UL << 30) - 1), 2, Pte.Make(1UL << 18, P | US)).ShouldBeFalse("and in the 1 GiB");
        _table.Query(Va + 5 * Page).ShouldBe(Pte.Make(9, P | US));
        _table.TableFrameCount.ShouldBe(tables, "no deposit taken for a refused page");

        _table.ClearLeaf(Va + 5 * Page);
        _table.SetLarge(Va, 1, Pte.Make(512, P | US)).ShouldBeTrue("the table under it maps nothing now");
        _table.SetLarge(Va, 1, Pte.Make(1024, P | US)).ShouldBeFalse("a large page is there");
        _table.LargeEntry(Va, out _).ShouldBe(Pte.Make(512, P | US | Pte.LargePage));
    }

    [Fact]
    public void SetLarge_with_no_frame_for_its_deposit_maps_nothing()
    {
        const ulong Va = 0x4000_0000;
        _table.SetLeaf(Va + 0x40_0000, Pte.Make(9, P | US)).ShouldBeTrue(); // the tables down to the PD exist
        _table.ClearLeaf(Va + 0x40_0000);
        while (_frames.TryAllocate(FrameUse.User, out _)) { }
        _table.SetLarge(Va, 1, Pte.Make(512, P | US)).ShouldBeFalse();
        _table.LargeEntry(Va, out _).ShouldBe(0UL);
        _table.Query(Va).ShouldBe(0UL);
    }

    [Fact]
    public void A_leaf_edit_inside_a_large_page_splits_it_with_the_deposit_keeping_every_other_translation()
    {
        const ulong Va = 0x4000_0000, Frame = 512;
        _table.SetLarge(Va, 1, Pte.Make(Frame, P | RW | US)).ShouldBeTrue();
        int tables = _table.TableFrameCount, free = _frames.FreeCount;
        _table.SetLeaf(Va + 3 * Page, Pte.Make(7, P | US)).ShouldBeTrue();
        _table.TableFrameCount.ShouldBe(tables, "the deposit became the page table");
        _frames.FreeCount.ShouldBe(free);
        _table.LargeEntry(Va, out int level).ShouldBe(0UL);
        level.ShouldBe(0);
        _table.Query(Va + 3 * Page).ShouldBe(Pte.Make(7, P | US));
        _table.Query(Va + 4 * Page).ShouldBe(Pte.Make(Frame + 4, P | RW | US));
        _table.Query(Va + 0x1F_F000).ShouldBe(Pte.Make(Frame + 511, P | RW | US));
    }
}
