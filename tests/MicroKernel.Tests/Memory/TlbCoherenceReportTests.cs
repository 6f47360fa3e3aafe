using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The MMU's side of the tlb-coherence invariant and of its TLB use: a cached translation is compared with a fresh walk
/// and each kind of staleness is reported in words (no tables, another frame, more rights, a large page split with one
/// page moved); a check of a space that is not loaded ignores the TLB; CR4.PGE off makes no global entries.
/// Tables are built by hand: PML4 in frame 1, PDPT in 2, PD in 3, PT in 4; pages from frame 5 on.
/// </summary>
public sealed class TlbCoherenceReportTests
{
    private const ulong Va = 0x0000_0000_4000_3000; // PML4[0], PDPT[1], PD[0], PT[3]
    private const ulong BigVa = 0x0000_0000_4040_0000; // PML4[0], PDPT[1], PD[2]: 2 MiB-aligned
    private const ulong P = 1UL << 0, RW = 1UL << 1, US = 1UL << 2, PS = 1UL << 7, G = 1UL << 8;
    private const ulong Root = 1 << 12, Pt = 4 << 12;

    private readonly PhysicalMemory _ram = new(1100);
    private readonly Mmu _mmu;

    public TlbCoherenceReportTests()
    {
        _mmu = new Mmu(_ram);
        _ram.WriteUInt64(Root + 0 * 8, (2UL << 12) | P | RW | US);
        _ram.WriteUInt64((2UL << 12) + 1 * 8, (3UL << 12) | P | RW | US);
        _ram.WriteUInt64((3UL << 12) + 0 * 8, Pt | P | RW | US);
        SetPte(5, P | RW | US);
    }

    private void SetPte(ulong frame, ulong flags) => _ram.WriteUInt64(Pt + 3 * 8, (frame << 12) | flags);

    private static int Slot(ulong va) => (int)((va >> 12) & 63);

    [Fact]
    public void A_TLB_entry_the_tables_still_give_is_no_problem()
    {
        _mmu.LoadRoot(Root);
        _mmu.Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue();
        _mmu.StaleTranslations().ShouldBeEmpty();
    }

    [Fact]
    public void An_entry_whose_page_moved_to_another_frame_is_reported_with_both_frames()
    {
        _mmu.LoadRoot(Root);
        _mmu.Translate(Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        SetPte(6, P | RW | US); // no invlpg
        _mmu.StaleTranslations().ShouldBe([$"TLB entry {Slot(Va)} translates 0x{Va:x} to frame 5 (r-x) but the loaded tables map it to frame 6"]);
    }

    [Fact]
    public void An_entry_with_more_rights_than_the_tables_is_reported_with_the_rights_left()
    {
        _mmu.LoadRoot(Root);
        _mmu.Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue();
        SetPte(5, P | US | (1UL << 6)); // read-only now, D still set
        _mmu.StaleTranslations().ShouldBe([$"TLB entry {Slot(Va)} translates 0x{Va:x} to frame 5 (rwx) but the loaded tables allow only r-x"]);
    }

    [Fact]
    public void An_entry_whose_page_is_gone_is_reported_with_the_loaded_root()
    {
        _mmu.LoadRoot(Root);
        _mmu.Translate(Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        SetPte(5, 0);
        _mmu.StaleTranslations().ShouldBe([$"TLB entry {Slot(Va)} translates 0x{Va:x} to frame 5 (r-x) but the loaded tables (CR3 0x1000) map nothing there"]);
    }

    [Fact]
    public void An_entry_left_when_no_table_is_loaded_is_reported()
    {
        _mmu.Tlb.Fill(Va, 12, 5 << 12, 1 << (int)AccessKind.Read, global: false);
        _mmu.StaleTranslations().ShouldBe([$"TLB entry {Slot(Va)} translates 0x{Va:x} to frame 5 (r--) but no page table is loaded"]);
    }

    [Fact]
    public void A_stale_supervisor_global_entry_says_so()
    {
        SetPte(5, P | RW | G); // a kernel page: no U/S
        _mmu.LoadRoot(Root);
        _mmu.TranslateSupervisor(Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        _mmu.Tlb.ContainsGlobal(Va).ShouldBeTrue();
        SetPte(7, P | RW | G);
        _mmu.StaleTranslations().ShouldBe([$"TLB entry {Slot(Va)} translates 0x{Va:x} to frame 5 (global) (supervisor r-x) but the loaded tables map it to frame 7"]);
    }

    [Fact]
    public void A_2_MiB_entry_whose_page_was_split_into_the_same_frames_is_no_problem_but_one_moved_page_is_reported()
    {
        const ulong BigFrame = 512, SplitPt = 6UL << 12;
        _ram.WriteUInt64((3UL << 12) + 2 * 8, (BigFrame << 12) | P | RW | US | PS);
        _mmu.LoadRoot(Root);
        _mmu.Translate(BigVa + 0x5000, AccessKind.Read, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe((BigFrame << 12) + 0x5000);
        _mmu.Tlb.LargeHits.ShouldBe(0);
        _mmu.Translate(BigVa + 0x9000, AccessKind.Read, out _, out _).ShouldBeTrue();
        _mmu.Tlb.LargeHits.ShouldBe(1, "the second page hits the 2 MiB entry");

        // Split: a page table maps the same 512 frames with 4 KiB pages.
        for (ulong i = 0; i < 512; i++) _ram.WriteUInt64(SplitPt + i * 8, ((BigFrame + i) << 12) | P | RW | US);
        _ram.WriteUInt64((3UL << 12) + 2 * 8, SplitPt | P | RW | US);
        _mmu.StaleTranslations().ShouldBeEmpty();

        _ram.WriteUInt64(SplitPt + 3 * 8, (1050UL << 12) | P | RW | US);
        int slot = (int)((BigVa >> 21) & 31);
        _mmu.StaleTranslations().ShouldBe([$"TLB 2 MiB entry {slot} translates 0x{BigVa:x} to frame 512 (r-x) but the loaded tables map it to frame 1050 (at 0x{BigVa + 0x3000:x}, inside it)"]);
    }

    [Fact]
    public void A_check_of_the_loaded_space_believes_the_TLB_and_a_check_of_another_space_walks_its_own_tables()
    {
        _mmu.LoadRoot(Root);
        _mmu.Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue();
        SetPte(5, P | US); // read-only, invalidation not done yet
        _mmu.Check(Root, Va, AccessKind.Write, out _).ShouldBeTrue("the cached writable translation is believed, as hardware would");

        // The same tables seen as another space (a second PML4 in frame 8 with the same PDPT): walked, not cached.
        const ulong Other = 8UL << 12;
        _ram.WriteUInt64(Other, (2UL << 12) | P | RW | US);
        _mmu.Check(Other, Va, AccessKind.Write, out MemoryFault f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(Va, AccessKind.Write, FaultReason.ReadOnly));
        _mmu.Check(Other, Va, AccessKind.Read, out _).ShouldBeTrue();
    }

    [Fact]
    public void A_check_believes_a_cached_2_MiB_translation_too()
    {
        _ram.WriteUInt64((3UL << 12) + 2 * 8, (512UL << 12) | P | RW | US | PS);
        _mmu.LoadRoot(Root);
        _mmu.Translate(BigVa, AccessKind.Read, out _, out _).ShouldBeTrue();
        _ram.WriteUInt64((3UL << 12) + 2 * 8, 0); // gone, not invalidated
        _mmu.Check(Root, BigVa + 0x7000, AccessKind.Read, out _).ShouldBeTrue();
        _mmu.Check(Root, BigVa + 0x7000, AccessKind.Write, out MemoryFault f).ShouldBeFalse("the entry allows no write (D clear), so the walk decides");
        f.Reason.ShouldBe(FaultReason.NotPresent);
    }

    [Fact]
    public void With_CR4_PGE_clear_a_global_leaf_fills_a_non_global_entry_and_setting_PGE_again_flushes_once()
    {
        SetPte(5, P | RW | US | G);
        _mmu.GlobalPagesEnabled = false;
        _mmu.Tlb.Flushes.ShouldBe(1);
        _mmu.GlobalPagesEnabled = false;
        _mmu.Tlb.Flushes.ShouldBe(1, "setting the value it holds changes nothing");
        _mmu.LoadRoot(Root);
        _mmu.Translate(Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        _mmu.Tlb.Contains(Va).ShouldBeTrue();
        _mmu.Tlb.ContainsGlobal(Va).ShouldBeFalse();
        _mmu.GlobalPagesEnabled = true;
        _mmu.Tlb.Flushes.ShouldBe(3);
        _mmu.Tlb.Contains(Va).ShouldBeFalse();
        _mmu.Translate(Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        _mmu.Tlb.ContainsGlobal(Va).ShouldBeTrue();
    }

    [Fact]
    public void Hits_and_misses_count_each_translation_once()
    {
        _mmu.LoadRoot(Root);
        _mmu.Translate(Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        (_mmu.Tlb.Hits, _mmu.Tlb.Misses).ShouldBe((0L, 1L));
        _mmu.Translate(Va + 8, AccessKind.Read, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe((5UL << 12) + 8);
        _mmu.TranslateSupervisor(Va + 16, AccessKind.Read, out pa, out _).ShouldBeTrue();
        pa.ShouldBe((5UL << 12) + 16);
        (_mmu.Tlb.Hits, _mmu.Tlb.Misses).ShouldBe((2L, 1L));
        _mmu.Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue("the first write walks to set D");
        (_mmu.Tlb.Hits, _mmu.Tlb.Misses).ShouldBe((2L, 2L));
    }
}
