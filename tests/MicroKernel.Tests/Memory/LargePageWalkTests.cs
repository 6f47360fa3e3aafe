using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// 2 MiB pages through the MMU and its TLB (Intel SDM vol. 3A, 4.5 and 4.10.2): a cached large translation serves
/// later accesses of the same kind and privilege and no other page; PAT in the leaf is not an address bit; a page not
/// wholly in RAM is not present; a check walks without setting Accessed anywhere. Tables are built by hand: PML4 in
/// frame 1, PDPT in 2, PD in 3; the 2 MiB page at frame 512. RAM is 1100 frames.
/// </summary>
public sealed class LargePageWalkTests
{
    private const ulong BigVa = 0x0000_0000_4040_0000; // PML4[0], PDPT[1], PD[2]
    private const ulong P = 1UL << 0, RW = 1UL << 1, US = 1UL << 2, A = 1UL << 5, PS = 1UL << 7, Pat = 1UL << 12;
    private const ulong Root = 1 << 12, Pd = 3 << 12;

    private readonly PhysicalMemory _ram = new(1100);
    private readonly Mmu _mmu;

    public LargePageWalkTests()
    {
        _mmu = new Mmu(_ram);
        _ram.WriteUInt64(Root, (2UL << 12) | P | RW | US);
        _ram.WriteUInt64((2UL << 12) + 1 * 8, Pd | P | RW | US);
        SetPde(512, P | RW | US | PS);
    }

    private void SetPde(ulong frame, ulong flags) => _ram.WriteUInt64(Pd + 2 * 8, (frame << 12) | flags);

    private (long Hits, long LargeHits, long Misses) Counts() => (_mmu.Tlb.Hits, _mmu.Tlb.LargeHits, _mmu.Tlb.Misses);

    [Fact]
    public void A_cached_2_MiB_translation_serves_each_kind_of_access_it_allows_with_the_right_address()
    {
        _mmu.LoadRoot(Root);
        foreach (AccessKind access in new[] { AccessKind.Read, AccessKind.Write, AccessKind.Execute })
        {
            _mmu.Translate(BigVa, access, out _, out _).ShouldBeTrue(); // a write walks once more to set D
            var before = Counts();
            _mmu.Translate(BigVa + 0x1_2345, access, out ulong pa, out _).ShouldBeTrue();
            pa.ShouldBe((512UL << 12) + 0x1_2345, access.ToString());
            Counts().ShouldBe((before.Hits + 1, before.LargeHits + 1, before.Misses), $"a second {access} hits the 2 MiB entry");
        }
    }

    [Fact]
    public void A_supervisor_only_2_MiB_page_cached_by_the_kernel_serves_the_kernel_and_never_the_user()
    {
        SetPde(512, P | RW | PS);
        _mmu.LoadRoot(Root);
        _mmu.TranslateSupervisor(BigVa, AccessKind.Read, out _, out _).ShouldBeTrue();
        var before = Counts();
        _mmu.TranslateSupervisor(BigVa + 0x8000, AccessKind.Read, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe((512UL << 12) + 0x8000);
        Counts().ShouldBe((before.Hits + 1, before.LargeHits + 1, before.Misses));
        _mmu.Translate(BigVa + 0x8000, AccessKind.Read, out _, out MemoryFault f).ShouldBeFalse("the entry allows supervisor accesses only");
        f.Reason.ShouldBe(FaultReason.Supervisor);
    }

    [Fact]
    public void A_cached_2_MiB_entry_does_not_serve_another_page_that_shares_its_slot()
    {
        _mmu.LoadRoot(Root);
        _mmu.Translate(BigVa, AccessKind.Read, out _, out _).ShouldBeTrue();
        ulong sameSlot = BigVa + Tlb.LargeEntries * Pte.LargePageSize; // 64 MiB on: PD[34], not mapped
        _mmu.Translate(sameSlot, AccessKind.Read, out _, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        _mmu.Check(Root, sameSlot, AccessKind.Read, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NotPresent);
    }

    [Fact]
    public void PAT_in_a_2_MiB_leaf_is_no_address_bit()
    {
        SetPde(512, P | RW | US | PS | Pat);
        _mmu.TranslateUncached(Root, BigVa + 0x10, AccessKind.Read, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe((512UL << 12) + 0x10);
    }

    [Fact]
    public void A_2_MiB_page_that_runs_past_the_end_of_RAM_is_not_present_and_one_that_ends_inside_is()
    {
        SetPde(1024, P | RW | US | PS); // frames 1024..1535, RAM ends at 1100
        _mmu.TranslateUncached(Root, BigVa, AccessKind.Read, out ulong pa, out MemoryFault f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(BigVa, AccessKind.Read, FaultReason.NotPresent));
        pa.ShouldBe(0UL);
        SetPde(512, P | RW | US | PS); // frames 512..1023
        _mmu.TranslateUncached(Root, BigVa + 0x1F_FFF8, AccessKind.Read, out pa, out _).ShouldBeTrue();
        pa.ShouldBe((512UL << 12) + 0x1F_FFF8);
    }

    [Fact]
    public void A_check_sets_Accessed_at_no_level_and_a_walk_sets_it_at_every_level()
    {
        ulong[] entries = [Root, (2UL << 12) + 8, Pd + 16];
        _mmu.Check(Root, BigVa, AccessKind.Read, out _).ShouldBeTrue();
        foreach (ulong at in entries) (_ram.ReadUInt64(at) & A).ShouldBe(0UL, $"entry at 0x{at:x}");
        _mmu.TranslateUncached(Root, BigVa, AccessKind.Read, out _, out _).ShouldBeTrue();
        foreach (ulong at in entries) (_ram.ReadUInt64(at) & A).ShouldBe(A, $"entry at 0x{at:x}");
    }

    [Fact]
    public void A_2_MiB_entry_whose_page_is_gone_is_one_problem_not_one_per_4_KiB()
    {
        _mmu.LoadRoot(Root);
        _mmu.Translate(BigVa, AccessKind.Read, out _, out _).ShouldBeTrue();
        SetPde(0, 0);
        _mmu.StaleTranslations().ShouldBe([$"TLB 2 MiB entry {(BigVa >> 21) & 31} translates 0x{BigVa:x} to frame 512 (r-x) but the loaded tables (CR3 0x1000) map nothing there"]);
    }

    [Theory]
    [InlineData(0, 0UL, true)]
    [InlineData(1, 0UL, false)]
    [InlineData(1, Pte.LargePage, true)]
    [InlineData(2, Pte.LargePage, true)]
    [InlineData(3, Pte.LargePage, false)] // PS is reserved in a PML4E: never a leaf
    public void A_leaf_is_a_PTE_or_a_PDE_or_PDPTE_with_PS(int level, ulong entry, bool leaf) =>
        Pte.IsLeaf(level, entry | Pte.Present).ShouldBe(leaf);
}
