using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// Edges of the tlb-coherence check and of the walks next to it, each found unchecked by mutation testing: a page at an
/// odd page number on an even frame is no problem (the offset mask is exact); the check reads the tables and changes
/// nothing (no Accessed bit set behind the OS's back); a stale 1 GiB entry is named as one; an uncached user walk refuses
/// a supervisor page; replacing a non-global TLB entry does not lose count of a global one; a bad TLB size says why.
/// Tables are built by hand: PML4 in frame 1, PDPT in 2, PD in 3, PT in 4.
/// </summary>
public sealed class TlbCoherenceCheckEdgesTests
{
    private const ulong Va = 0x0000_0000_4000_3000; // PML4[0], PDPT[1], PD[0], PT[3]: an odd page number
    private const ulong P = 1UL << 0, RW = 1UL << 1, US = 1UL << 2, A = 1UL << 5;
    private const ulong Root = 1 << 12, Pdpt = 2 << 12, Pd = 3 << 12, Pt = 4 << 12;
    private const int Read = 1 << (int)AccessKind.Read;

    private readonly PhysicalMemory _ram = new(1100);
    private readonly Mmu _mmu;

    public TlbCoherenceCheckEdgesTests()
    {
        _mmu = new Mmu(_ram);
        _ram.WriteUInt64(Root + 0 * 8, Pdpt | P | RW | US);
        _ram.WriteUInt64(Pdpt + 1 * 8, Pd | P | RW | US);
        _ram.WriteUInt64(Pd + 0 * 8, Pt | P | RW | US);
    }

    private void SetPte(ulong frame, ulong flags) => _ram.WriteUInt64(Pt + 3 * 8, (frame << 12) | flags);

    [Fact]
    public void An_odd_page_on_an_even_frame_is_no_problem()
    {
        SetPte(6, P | RW | US);
        _mmu.LoadRoot(Root);
        _mmu.Translate(Va + 0x10, AccessKind.Read, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe((6UL << 12) + 0x10);
        _mmu.StaleTranslations().ShouldBeEmpty();
    }

    [Fact]
    public void The_check_reads_the_tables_and_sets_no_Accessed_bit()
    {
        SetPte(6, P | RW | US);
        _mmu.LoadRoot(Root);
        _mmu.Translate(Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        // The OS clears Accessed on every level (page aging) without invalidating: the entry is still right.
        foreach (ulong at in new[] { Root, Pdpt + 8, Pd, Pt + 3 * 8 }) _ram.WriteUInt64(at, _ram.ReadUInt64(at) & ~A);

        _mmu.StaleTranslations().ShouldBeEmpty();

        foreach (ulong at in new[] { Root, Pdpt + 8, Pd, Pt + 3 * 8 })
            (_ram.ReadUInt64(at) & A).ShouldBe(0UL, $"entry at 0x{at:x}");
    }

    [Fact]
    public void A_stale_1_GiB_entry_is_named_as_one()
    {
        const ulong HugeVa = 0x40_0000_0000; // 1 GiB-aligned
        int slot = (int)((HugeVa >> 30) & (Tlb.HugeEntries - 1));
        _mmu.Tlb.Fill(HugeVa, 30, 1UL << 30, Read, global: false);
        _mmu.StaleTranslations().ShouldBe([$"TLB 1 GiB entry {slot} translates 0x{HugeVa:x} to frame 262144 (r--) but no page table is loaded"]);
    }

    [Fact]
    public void An_uncached_user_walk_refuses_a_supervisor_page()
    {
        SetPte(6, P | RW); // no U/S: the kernel's
        _mmu.TranslateUncached(Root, Va, AccessKind.Read, out ulong pa, out MemoryFault fault).ShouldBeFalse();
        fault.ShouldBe(new MemoryFault(Va, AccessKind.Read, FaultReason.Supervisor));
        pa.ShouldBe(0UL);
        _mmu.TranslateSupervisor(Va, AccessKind.Read, out _, out _).ShouldBeFalse("no table is loaded");
    }

    [Fact]
    public void Replacing_a_non_global_entry_keeps_the_count_of_global_ones()
    {
        var tlb = new Tlb(16);
        tlb.Fill(0x7000_0000, 12, 0x5000, Read, global: true);     // slot 0
        tlb.Fill(0x7000_1000, 12, 0x6000, Read, global: false);    // slot 1
        tlb.Fill(0x7001_1000, 12, 0x7000, Read, global: false);    // slot 1 again: replaces a non-global entry
        tlb.Flush();
        tlb.ContainsGlobal(0x7000_0000).ShouldBeTrue("a CR3 load keeps the global entry");
        tlb.GlobalKept.ShouldBe(1);
        tlb.Contains(0x7001_1000).ShouldBeFalse();
    }

    [Fact]
    public void A_TLB_size_that_is_not_a_power_of_two_is_refused_with_the_reason() =>
        Should.Throw<ArgumentOutOfRangeException>(() => new Tlb(48)).Message.ShouldStartWith("TLB size must be a power of two");
}
