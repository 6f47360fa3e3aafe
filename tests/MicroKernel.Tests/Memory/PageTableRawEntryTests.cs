using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Invariants;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// PageTable.cs on entries the kernel never writes itself but a walk must still read right: an empty entry (it would
/// point at frame 0), a not-present entry that is not zero (a swapped-out page in a real kernel), a large page the
/// kernel did not make with <see cref="PageTable.SetLarge"/>. Then the exact edges of its loops: the empty-table
/// search and the split write 512 entries, no more; ClearLeaves crosses a page-table boundary; Leaves lists each
/// page once; FreeTables keeps no table frame. Entries are planted straight into RAM, as a buggy kernel would.
/// </summary>
public sealed class PageTableRawEntryTests
{
    private const ulong Page = AddressSpace.PageSize;
    private const ulong P = Pte.Present, RW = Pte.Writable, US = Pte.User, PS = Pte.LargePage;
    private const ulong Va = 0x4000_0000; // PML4[0], PDPT[1], PD[0]: 1 GiB-aligned
    private const ulong TwoMiB = 0x20_0000;

    private readonly PhysicalMemory _ram = new(256);
    private readonly FrameAllocator _frames;
    private readonly PageTable _table;

    public PageTableRawEntryTests()
    {
        _frames = new FrameAllocator(_ram, reservedFrames: 1);
        _table = PageTable.TryCreate(_ram, _frames)!;
    }

    // The physical address of the entry for `va` at `level` (0 = PTE), read the way the MMU walks; the tables above
    // it must exist.
    private ulong EntryAddress(ulong va, int level)
    {
        ulong table = _table.RootAddress;
        for (int l = 3; l > level; l--) table = _ram.ReadUInt64(table + (((va >> Pte.PageShift(l)) & 511) << 3)) & Pte.AddressMask;
        return table + (((va >> Pte.PageShift(level)) & 511) << 3);
    }

    // Makes the tables down to the page table for `va` and leaves them empty.
    private void EmptyTablesFor(ulong va)
    {
        _table.SetLeaf(va, Pte.Make(9, P | US)).ShouldBeTrue();
        _table.ClearLeaf(va).ShouldBe(Pte.Make(9, P | US));
    }

    [Fact]
    public void Nothing_is_read_through_an_empty_entry_whatever_frame_0_holds()
    {
        // Frame 0 (reserved) full of present 1 GiB pages: a walk that followed an empty entry would land there.
        ulong poison = Pte.Make(0, P | RW | US | PS);
        for (ulong i = 0; i < 512; i++) _ram.WriteUInt64(i * 8, poison);

        _table.Query(Va).ShouldBe(0UL);
        _table.LargeEntry(Va, out int level).ShouldBe(0UL);
        level.ShouldBe(0);
        _table.ClearLarge(Va).ShouldBe(0UL);
        _table.ClearLeaf(Va).ShouldBe(0UL);
        Span<ulong> old = stackalloc ulong[3];
        old.Fill(1);
        _table.ClearLeaves(Va, old);
        old.ToArray().ShouldBe([0UL, 0UL, 0UL]);
        _table.Leaves().ShouldBeEmpty();

        _table.TableFrameCount.ShouldBe(1, "looking and clearing create no table");
        for (ulong i = 0; i < 512; i++) _ram.ReadUInt64(i * 8).ShouldBe(poison, "and write nothing into frame 0");
    }

    [Fact]
    public void A_not_present_large_entry_is_no_page_and_a_leaf_under_it_gets_a_table_of_its_own()
    {
        EmptyTablesFor(Va);
        ulong slot = EntryAddress(Va + TwoMiB, 1);
        _ram.WriteUInt64(slot, Pte.Make(512, RW | US | PS)); // every bit of a 2 MiB page but Present

        _table.Query(Va + TwoMiB + Page).ShouldBe(0UL);
        _table.LargeEntry(Va + TwoMiB, out int level).ShouldBe(0UL);
        level.ShouldBe(0);
        _table.Leaves().ShouldBeEmpty("not a page: none of its 512 frames is listed");

        int tables = _table.TableFrameCount;
        _table.SetLeaf(Va + TwoMiB + Page, Pte.Make(7, P | US)).ShouldBeTrue();
        _table.TableFrameCount.ShouldBe(tables + 1, "a new page table replaces the entry");
        _table.Leaves().ShouldBe([(Va + TwoMiB + Page, Pte.Make(7, P | US))], "nothing split out of the dead entry");
        _table.Query(Va + TwoMiB).ShouldBe(0UL);
    }

    [Fact]
    public void A_not_present_table_entry_is_shown_in_the_dump_but_not_walked()
    {
        EmptyTablesFor(Va);
        _frames.TryAllocate(FrameUse.Kernel, out ulong target).ShouldBeTrue();
        _ram.WriteUInt64(target << PhysicalMemory.FrameShift, Pte.Make(9, P | US)); // what a walk into it would list
        _ram.WriteUInt64(EntryAddress(Va + TwoMiB, 1), Pte.Make(target, RW | US));

        string dump = _table.Dump();
        dump.ShouldContain($"PD[  1] 0x{Pte.Make(target, RW | US):x16}");
        dump.ShouldNotContain("      PT[", customMessage: "the table under a not-present entry is not walked:\n" + dump);
        _table.Leaves().ShouldBeEmpty();
        _table.Query(Va + TwoMiB).ShouldBe(0UL);
    }

    [Fact]
    public void A_table_with_a_not_present_entry_in_it_is_not_empty()
    {
        EmptyTablesFor(Va);
        // A not-present, non-zero PDE pointing at a zeroed frame: were it walked, it would look like an empty table.
        _frames.TryAllocate(FrameUse.Kernel, out ulong zeroed).ShouldBeTrue();
        _ram.WriteUInt64(EntryAddress(Va + TwoMiB, 1), Pte.Make(zeroed, RW | US));
        _table.SetLarge(Va, 2, Pte.Make(1UL << 18, P | US)).ShouldBeFalse("the PD holds an entry");
        _table.LargeEntry(Va, out _).ShouldBe(0UL);
    }

    [Fact]
    public void A_1_GiB_page_may_replace_a_directory_whose_tables_map_nothing()
    {
        EmptyTablesFor(Va + 5 * TwoMiB);
        int tables = _table.TableFrameCount;
        _table.SetLarge(Va, 2, Pte.Make(1UL << 18, P | US)).ShouldBeTrue("the PD's one entry is a page table that maps nothing");
        _table.TableFrameCount.ShouldBe(tables + 1, "and the deposit");
        _table.LargeEntry(Va + 5 * TwoMiB, out int level).ShouldBe(Pte.Make(1UL << 18, P | US | PS));
        level.ShouldBe(2);
    }

    [Fact]
    public void The_empty_table_search_reads_every_entry_of_the_table_and_none_past_it()
    {
        _table.SetLeaf(Va + 100 * Page, Pte.Make(9, P | US)).ShouldBeTrue();
        _table.SetLarge(Va, 1, Pte.Make(512, P | US)).ShouldBeFalse("entry 100 is mapped");
        _table.ClearLeaf(Va + 100 * Page);

        // The frame right after the (now empty) page table holds data.
        ulong pageTable = EntryAddress(Va, 0) >> PhysicalMemory.FrameShift;
        _frames.TryAllocate(FrameUse.User, out ulong next).ShouldBeTrue();
        next.ShouldBe(pageTable + 1);
        _ram.WriteUInt64(next << PhysicalMemory.FrameShift, 0xDEAD_BEEF);
        _table.SetLarge(Va, 1, Pte.Make(512, P | US)).ShouldBeTrue("the table's 512 entries are all empty");
    }

    [Fact]
    public void A_split_writes_the_512_entries_of_its_table_and_nothing_past_them()
    {
        _table.SetLarge(Va, 1, Pte.Make(512, P | RW | US)).ShouldBeTrue();
        _frames.TryAllocate(FrameUse.User, out ulong next).ShouldBeTrue(); // right after the deposit
        ulong marker = next << PhysicalMemory.FrameShift;
        _ram.WriteUInt64(marker, 0xDEAD_BEEF);

        _table.SetLeaf(Va + 3 * Page, Pte.Make(7, P | US)).ShouldBeTrue();
        EntryAddress(Va, 0).ShouldBe(marker - Page, "the deposit became the page table");
        _ram.ReadUInt64(marker).ShouldBe(0xDEAD_BEEFUL);
        _table.Query(Va + 0x1F_F000).ShouldBe(Pte.Make(512 + 511, P | RW | US));
    }

    [Fact]
    public void A_large_page_the_kernel_did_not_make_splits_into_a_frame_of_its_own()
    {
        EmptyTablesFor(Va + 5 * TwoMiB);
        _ram.WriteUInt64(EntryAddress(Va + TwoMiB, 1), Pte.Make(512, P | RW | US | PS)); // no deposit for it
        int tables = _table.TableFrameCount, free = _frames.FreeCount;

        _table.SetLeaf(Va + TwoMiB + 3 * Page, Pte.Make(7, P | US)).ShouldBeTrue();
        _table.TableFrameCount.ShouldBe(tables + 1);
        _frames.FreeCount.ShouldBe(free - 1);
        _table.Query(Va + TwoMiB + 3 * Page).ShouldBe(Pte.Make(7, P | US));
        _table.Query(Va + TwoMiB + 4 * Page).ShouldBe(Pte.Make(516, P | RW | US));
    }

    [Fact]
    public void A_large_page_the_kernel_did_not_make_stays_whole_when_no_frame_is_free_to_split_it()
    {
        EmptyTablesFor(Va + 5 * TwoMiB);
        ulong large = Pte.Make(512, P | RW | US | PS);
        _ram.WriteUInt64(EntryAddress(Va + TwoMiB, 1), large);
        while (_frames.TryAllocate(FrameUse.User, out _)) { }
        int tables = _table.TableFrameCount;

        _table.SetLeaf(Va + TwoMiB + 3 * Page, Pte.Make(7, P | US)).ShouldBeFalse();
        _table.LargeEntry(Va + TwoMiB, out int level).ShouldBe(large);
        level.ShouldBe(1);
        _table.Query(Va + TwoMiB + 3 * Page).ShouldBe(Pte.Make(515, P | RW | US));
        _table.TableFrameCount.ShouldBe(tables);
        _ram.ReadUInt64(0).ShouldBe(0UL, "nothing written through a missing entry");
    }

    [Fact]
    public void ClearLeaves_walks_again_where_a_new_page_table_begins()
    {
        ulong start = Va + TwoMiB - 2 * Page; // two pages in one page table, two in the next
        ulong[] entries = [Pte.Make(20, P | US), Pte.Make(21, P | US), Pte.Make(22, P | US), Pte.Make(23, P | US)];
        // The second page table is made first, so that the two are not neighbours in RAM: a walk that ran off the end
        // of the first would not land in the second by chance.
        _table.SetLeaves(start + 2 * Page, entries.AsSpan(2)).ShouldBe(2);
        _table.SetLeaves(start, entries.AsSpan(0, 2)).ShouldBe(2);
        (EntryAddress(start, 0) >> PhysicalMemory.FrameShift).ShouldNotBe((EntryAddress(start + 2 * Page, 0) >> PhysicalMemory.FrameShift) - 1);
        int tables = _table.TableFrameCount;

        ulong[] old = new ulong[4];
        _table.ClearLeaves(start, old);
        old.ShouldBe(entries);
        for (ulong i = 0; i < 4; i++) _table.Query(start + i * Page).ShouldBe(0UL);
        _table.Leaves().ShouldBeEmpty();

        _table.ClearLeaves(Va + 8 * TwoMiB, old); // no table there
        old.ShouldBe([0UL, 0UL, 0UL, 0UL]);
        _table.TableFrameCount.ShouldBe(tables, "clearing makes no table");
    }

    [Fact]
    public void Leaves_lists_each_mapped_4_KiB_page_once_in_address_order()
    {
        _table.SetLeaf(Va + 3 * Page, Pte.Make(9, P | US)).ShouldBeTrue();
        _table.Leaves().ShouldBe([(Va + 3 * Page, Pte.Make(9, P | US))], "one page: one leaf, no empty entry");

        _table.SetLarge(Va + TwoMiB, 1, Pte.Make(512, P | RW | US)).ShouldBeTrue();
        var leaves = _table.Leaves().ToList();
        leaves.Count.ShouldBe(1 + 512);
        for (int i = 0; i < 512; i++)
            leaves[1 + i].ShouldBe((Va + TwoMiB + (ulong)i * Page, Pte.Make(512 + (ulong)i, P | RW | US)));
    }

    [Fact]
    public void A_1_GiB_page_is_listed_as_its_262144_pages()
    {
        const ulong Big = 0x0000_0040_0000_0000;
        _table.SetLarge(Big, 2, Pte.Make(1UL << 18, P | US)).ShouldBeTrue();
        var leaves = _table.Leaves().ToList();
        leaves.Count.ShouldBe(1 << 18);
        leaves[1].ShouldBe((Big + Page, Pte.Make((1UL << 18) + 1, P | US)));
        leaves[^1].ShouldBe((Big + (1UL << 30) - Page, Pte.Make((1UL << 19) - 1, P | US)));
    }

    [Fact]
    public void FreeTables_returns_every_table_frame_and_marks_the_spaces()
    {
        int free = _frames.FreeCount;
        EmptyTablesFor(Va);
        _table.SetLarge(Va + TwoMiB, 1, Pte.Make(512, P | US)).ShouldBeTrue();
        _frames.FreeCount.ShouldBeLessThan(free);

        _ram.Changes.Take();
        _table.FreeTables();
        _ram.Changes.Take().ShouldBe(CheckedState.Spaces | CheckedState.Frames);
        _table.TableFrameCount.ShouldBe(0);
        _frames.FreeCount.ShouldBe(free + 1, "the root too");
    }

    [Fact]
    public void SetLarge_names_the_two_levels_a_large_page_may_live_at() =>
        Should.Throw<ArgumentOutOfRangeException>(() => _table.SetLarge(Va, 3, Pte.Make(0, P)))
            .Message.ShouldStartWith("large pages live in a PDE (1) or a PDPTE (2)");
}
