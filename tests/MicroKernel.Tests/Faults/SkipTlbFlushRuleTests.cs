using MicroKernel.Faults;
using MicroKernel.Processes;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// <c>kernel-bug name=skip-tlb-flush nth=N</c> skips exactly the Nth single-page invalidation: the ones before and
/// after it are done, and a rule whose N never comes skips nothing.
/// </summary>
public class SkipTlbFlushRuleTests
{
    private const ulong Page = 4096;

    // Maps two pages, touches both (each gets a TLB entry), unmaps them one at a time; records whether each page's
    // entry is still cached after the unmaps, then reads the first page (a fault unless its entry is stale).
    private static (Kernel Kernel, List<bool> Cached) TwoUnmaps(long before, params FaultRule[] rules)
    {
        var k = FaultRig.Boot(rules);
        var cached = new List<bool>();
        k.Spawn("p", sys =>
        {
            ulong a = sys.Map(Page), b = sys.Map(Page);
            sys.Memory.WriteUInt64(a, 1);
            sys.Memory.WriteUInt64(b, 2);
            k.Machine.Mmu.Tlb.Invalidations.ShouldBe(before, "the probe counted the invalidations before the unmaps");
            sys.Unmap(a, Page);
            sys.Unmap(b, Page);
            cached.Add(k.Machine.Mmu.Tlb.Contains(a));
            cached.Add(k.Machine.Mmu.Tlb.Contains(b));
            return (long)sys.Memory.ReadUInt64(a);
        });
        return (k, cached);
    }

    private static long InvalidationsBeforeTheUnmaps()
    {
        long before = -1;
        var probe = FaultRig.Boot();
        probe.Spawn("p", sys =>
        {
            ulong a = sys.Map(Page), b = sys.Map(Page);
            sys.Memory.WriteUInt64(a, 1);
            sys.Memory.WriteUInt64(b, 2);
            before = probe.Machine.Mmu.Tlb.Invalidations;
            return 0;
        });
        probe.RunBalanced();
        return before;
    }

    [Fact]
    public void Only_the_nth_invalidation_is_skipped()
    {
        long before = InvalidationsBeforeTheUnmaps();
        (Kernel k, List<bool> cached) = TwoUnmaps(before, new KernelBugFaultRule(KernelBugNames.SkipTlbFlush, before + 2));
        (RunResult r, EventLog log) = k.RunLogged();
        cached.ShouldBe([false, true], "the first unmap's invalidation was done, the second's skipped");
        r.Processes.Single().Faults.ShouldHaveSingleItem().Reason.ShouldBe(Hardware.FaultReason.NotPresent);
        log.Injections().ShouldHaveSingleItem().Text.ShouldStartWith($"kernel-bug skip-tlb-flush #{before + 2}: invalidation of 0x");
    }

    [Fact]
    public void A_rule_whose_count_never_comes_skips_nothing()
    {
        long before = InvalidationsBeforeTheUnmaps();
        (Kernel k, List<bool> cached) = TwoUnmaps(before, new KernelBugFaultRule(KernelBugNames.SkipTlbFlush, 1_000_000));
        k.Machine.Mmu.Tlb.Injector.ShouldNotBeNull("the TLB asks the injector at every invalidation");
        (RunResult r, EventLog log) = k.RunBalanced();
        cached.ShouldBe([false, false]);
        r.Processes.Single().Faults.ShouldHaveSingleItem().Reason.ShouldBe(Hardware.FaultReason.NotPresent);
        log.Injections().ShouldBeEmpty();
        k.Machine.Mmu.Tlb.Invalidations.ShouldBeGreaterThanOrEqualTo(before + 2);
    }
}
