using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// What the TLB keeps and drops (Intel SDM vol. 3A, 4.10): INVLPG drops exactly the entries of any size that cover its
/// address, global or not, and leaves a different page in the same slot alone; a CR3 load keeps the global entries
/// (and counts them), a full flush keeps none; the books of global entries stay right when one is replaced or dropped.
/// Entries are filled directly, as a walk would fill them.
/// </summary>
public sealed class TlbCachingRulesTests
{
    private const int Read = 1 << (int)AccessKind.Read;
    private const ulong Small = 0x7000_0000, Large = 0x8000_0000 + 0x20_0000, Huge = 0x1_4000_0000;

    private static Tlb Filled(bool global)
    {
        var tlb = new Tlb(16);
        tlb.Fill(Small, 12, 0x5000, Read, global);
        tlb.Fill(Large, 21, 0x20_0000, Read, global);
        tlb.Fill(Huge, 30, 0x4000_0000, Read, global);
        return tlb;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(3)]
    [InlineData(48)]
    public void A_size_that_is_not_a_positive_power_of_two_is_refused(int size) =>
        Should.Throw<ArgumentOutOfRangeException>(() => new Tlb(size)).ParamName.ShouldBe("size");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(64)]
    public void A_power_of_two_size_is_taken_and_each_slot_holds_its_page(int size)
    {
        var tlb = new Tlb(size);
        tlb.Size.ShouldBe(size);
        for (ulong page = 0; page < (ulong)size; page++) tlb.Fill(page << 12, 12, page << 12, Read, global: false);
        for (ulong page = 0; page < (ulong)size; page++) tlb.Contains(page << 12).ShouldBeTrue($"page {page}");
        tlb.Contains((ulong)size << 12).ShouldBeFalse("the next page shares slot 0 but is not cached");
    }

    [Fact]
    public void Invlpg_drops_the_entries_of_every_size_that_cover_its_address_and_only_those()
    {
        Tlb tlb = Filled(global: false);
        long before = tlb.Invalidations;
        tlb.Invalidate(Small + 16 * 4096); // the same 4 KiB slot (16 entries), another page
        tlb.Contains(Small).ShouldBeTrue("a different page in the same slot is left alone");
        tlb.Invalidate(Large + 32 * 0x20_0000 + 0x1000); // the same 2 MiB slot (32 entries), another page
        tlb.Contains(Large).ShouldBeTrue();
        tlb.Invalidate(Huge + 4 * 0x4000_0000UL); // the same 1 GiB slot (4 entries), another page
        tlb.Contains(Huge).ShouldBeTrue();
        tlb.Invalidations.ShouldBe(before + 3, "an invalidation that found nothing still counts");

        tlb.Invalidate(Small + 0xABC);
        tlb.Contains(Small).ShouldBeFalse();
        tlb.Contains(Large).ShouldBeTrue();
        tlb.Invalidate(Large + 0x1F_F000);
        tlb.Contains(Large).ShouldBeFalse("any address inside a 2 MiB page drops it");
        tlb.Contains(Huge).ShouldBeTrue();
        tlb.Invalidate(Huge + 0x3FFF_F000);
        tlb.Contains(Huge).ShouldBeFalse("any address inside a 1 GiB page drops it");
        tlb.Entries().ShouldBeEmpty();
        tlb.Invalidations.ShouldBe(before + 6);
    }

    [Fact]
    public void A_CR3_load_keeps_global_entries_of_every_size_counts_them_and_drops_the_rest()
    {
        Tlb tlb = Filled(global: true);
        tlb.Fill(Small + 4096, 12, 0x6000, Read, global: false);
        tlb.Fill(Large + 0x20_0000, 21, 0x40_0000, Read, global: false);
        tlb.Fill(Huge + 0x4000_0000, 30, 0x8000_0000, Read, global: false);
        long flushes = tlb.Flushes;

        tlb.Flush();

        tlb.Flushes.ShouldBe(flushes + 1);
        tlb.GlobalKept.ShouldBe(3);
        foreach (ulong va in new[] { Small, Large, Huge }) tlb.ContainsGlobal(va).ShouldBeTrue($"0x{va:x}");
        foreach (ulong va in new[] { Small + 4096, Large + 0x20_0000, Huge + 0x4000_0000 }) tlb.Contains(va).ShouldBeFalse($"0x{va:x}");
        tlb.Flush();
        tlb.GlobalKept.ShouldBe(6, "kept again on the next load");
    }

    [Fact]
    public void A_full_flush_drops_global_entries_and_the_next_CR3_load_has_none_to_keep()
    {
        Tlb tlb = Filled(global: true);
        tlb.FlushAll();
        tlb.Flushes.ShouldBe(1);
        tlb.Entries().ShouldBeEmpty();
        tlb.Flush();
        tlb.GlobalKept.ShouldBe(0);
    }

    [Fact]
    public void A_global_entry_dropped_by_invlpg_or_replaced_by_a_non_global_one_is_no_longer_kept()
    {
        Tlb tlb = Filled(global: true);
        tlb.Invalidate(Small);
        tlb.Fill(Large + 32 * 0x20_0000, 21, 0x60_0000, Read, global: false); // the same slot: replaces the global entry
        tlb.ContainsGlobal(Large).ShouldBeFalse();
        tlb.Invalidate(Huge);
        tlb.Flush();
        tlb.GlobalKept.ShouldBe(0, "no global entry is left to keep");
        tlb.Entries().ShouldBeEmpty("and the CR3 load dropped the non-global one");
    }

    [Fact]
    public void A_global_entry_replaced_by_another_global_one_is_kept_once()
    {
        var tlb = new Tlb(16);
        tlb.Fill(Small, 12, 0x5000, Read, global: true);
        tlb.Fill(Small, 12, 0x6000, Read, global: true);
        tlb.Flush();
        tlb.GlobalKept.ShouldBe(1);
        tlb.ContainsGlobal(Small).ShouldBeTrue();
    }

    [Fact]
    public void ContainsGlobal_is_false_for_a_non_global_entry_and_for_an_address_nothing_caches()
    {
        Tlb tlb = Filled(global: false);
        foreach (ulong va in new[] { Small, Large, Huge })
        {
            tlb.Contains(va).ShouldBeTrue();
            tlb.ContainsGlobal(va).ShouldBeFalse($"0x{va:x}");
        }
        tlb.ContainsGlobal(Small + 4096).ShouldBeFalse();
        Tlb global = Filled(global: true);
        global.ContainsGlobal(Small + 16 * 4096).ShouldBeFalse("another page in the slot of a global entry");
        global.ContainsGlobal(Large + 32 * 0x20_0000).ShouldBeFalse();
        global.ContainsGlobal(Huge + 4 * 0x4000_0000UL).ShouldBeFalse();
        tlb.Contains(0x9_0000_0000).ShouldBeFalse();
    }

    [Fact]
    public void Entries_lists_each_cached_page_with_its_address_size_and_slot()
    {
        Tlb tlb = Filled(global: false);
        tlb.Entries().Select(x => (x.Index, x.VirtualAddress, x.Shift)).ShouldBe([
            ((int)((Small >> 12) & 15), Small, 12),
            ((int)((Large >> 21) & 31), Large, 21),
            ((int)((Huge >> 30) & 3), Huge, 30)]);
        tlb.Entries().Select(x => x.Entry.FrameBase).ShouldBe([0x5000UL, 0x20_0000UL, 0x4000_0000UL]);
    }
}
