using MicroKernel.Invariants;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// Under <c>--check syscall</c> the catalogue runs after every syscall that changed something, so a check that finds
/// nothing wrong must cost only its reading: no text formatted, nothing allocated. Measured on the program's own host
/// thread, with a TLB full of entries and every family in use.
/// </summary>
public class HealthyCheckCostTests
{
    [Fact]
    public void The_tlb_check_allocates_nothing_when_every_entry_is_right()
    {
        var k = TestKernels.Boot();
        long allocated = -1, entries = -1;
        k.Spawn("toucher", sys =>
        {
            ulong va = sys.Map(32 * 4096);
            for (ulong page = 0; page < 32; page++) sys.Memory.WriteByte(va + page * 4096, 1); // 32 TLB entries
            entries = k.Machine.Mmu.Tlb.SmallEntries.Count(e => e.Tag != 0);
            k.Machine.Mmu.StaleTranslations().ShouldBeEmpty(); // warm up (JIT)
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) k.Machine.Mmu.StaleTranslations();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        entries.ShouldBeGreaterThanOrEqualTo(32);
        allocated.ShouldBe(0);
    }

    [Fact]
    public void A_check_point_that_finds_nothing_allocates_nothing_for_the_tlb_check()
    {
        var k = TestKernels.Boot();
        long allocated = -1;
        k.Spawn("toucher", sys =>
        {
            ulong va = sys.Map(8 * 4096);
            for (ulong page = 0; page < 8; page++) sys.Memory.WriteByte(va + page * 4096, 1);
            Invariant tlb = k.Invariants.Single(i => i.Name == "tlb-coherence");
            tlb.Check().ShouldBeEmpty();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) tlb.Check();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        allocated.ShouldBe(0);
    }
}
