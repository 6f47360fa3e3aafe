using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The rights of a 4-level walk (Intel SDM vol. 3A, 4.6): R/W and U/S must be set at every level (ANDed), NX at any
/// level forbids execution (ORed). Each rule is checked with the bit clear (or set) at two levels, and at all four,
/// so a walk that combined the levels another way (XOR gives the right answer for one level but not for two) fails.
/// The tables are built by hand in raw memory: PML4 in frame 1, PDPT in 2, PD in 3, PT in 4, the page in frame 5.
/// </summary>
public sealed class PagingRightsAcrossLevelsTests
{
    private const ulong Va = 0x0000_0080_4020_1000; // PML4[1], PDPT[1], PD[1], PT[1]
    private const ulong P = 1UL << 0, RW = 1UL << 1, US = 1UL << 2, NX = 1UL << 63;
    private const ulong PageFrame = 5;

    // Four levels (3 = PML4E .. 0 = PTE) each P|RW|US, then `clear` removed and `set` added at the chosen levels.
    private static (PhysicalMemory Ram, Mmu Mmu) Tables(int[] levels, ulong clear = 0, ulong set = 0)
    {
        var ram = new PhysicalMemory(16);
        for (int level = 3; level >= 0; level--)
        {
            ulong table = (ulong)(4 - level) << 12; // level 3 in frame 1 .. level 0 in frame 4
            ulong next = level == 0 ? PageFrame : (ulong)(5 - level);
            ulong flags = P | RW | US;
            if (levels.Contains(level)) flags = (flags & ~clear) | set;
            ram.WriteUInt64(table + ((Va >> (12 + 9 * level)) & 511) * 8, (next << 12) | flags);
        }
        return (ram, new Mmu(ram));
    }

    [Theory]
    [InlineData(3, 2)]
    [InlineData(3, 0)]
    [InlineData(2, 1)]
    [InlineData(1, 0)]
    [InlineData(3, 2, 1, 0)]
    public void A_write_faults_ReadOnly_when_RW_is_clear_at_several_levels_and_a_read_still_works(params int[] levels)
    {
        (_, Mmu mmu) = Tables(levels, clear: RW);
        mmu.LoadRoot(1UL << 12);
        mmu.Translate(Va + 8, AccessKind.Write, out _, out MemoryFault f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(Va + 8, AccessKind.Write, FaultReason.ReadOnly));
        mmu.TranslateSupervisor(Va, AccessKind.Write, out _, out f).ShouldBeFalse("CR0.WP: the kernel may not write either");
        f.Reason.ShouldBe(FaultReason.ReadOnly);
        mmu.Translate(Va + 8, AccessKind.Read, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe((PageFrame << 12) + 8);
        mmu.Translate(Va + 8, AccessKind.Write, out _, out f).ShouldBeFalse("the TLB entry the read made allows no write");
        f.Reason.ShouldBe(FaultReason.ReadOnly);
    }

    [Theory]
    [InlineData(3, 2)]
    [InlineData(3, 0)]
    [InlineData(2, 1)]
    [InlineData(1, 0)]
    [InlineData(3, 2, 1, 0)]
    public void A_user_access_faults_Supervisor_when_US_is_clear_at_several_levels_and_the_kernel_still_reaches_the_page(params int[] levels)
    {
        (_, Mmu mmu) = Tables(levels, clear: US);
        mmu.LoadRoot(1UL << 12);
        mmu.Translate(Va, AccessKind.Read, out _, out MemoryFault f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(Va, AccessKind.Read, FaultReason.Supervisor));
        mmu.TranslateSupervisor(Va, AccessKind.Write, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe(PageFrame << 12);
        mmu.Translate(Va, AccessKind.Read, out _, out f).ShouldBeFalse("the supervisor's TLB entry serves no user access");
        f.Reason.ShouldBe(FaultReason.Supervisor);
        mmu.Check(mmu.Root, Va, AccessKind.Read, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.Supervisor);
    }

    [Theory]
    [InlineData(3, 2)]
    [InlineData(3, 0)]
    [InlineData(2, 1)]
    [InlineData(1, 0)]
    [InlineData(3, 2, 1, 0)]
    public void A_fetch_faults_NoExecute_when_NX_is_set_at_several_levels(params int[] levels)
    {
        (_, Mmu mmu) = Tables(levels, set: NX);
        mmu.LoadRoot(1UL << 12);
        mmu.Translate(Va, AccessKind.Execute, out _, out MemoryFault f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(Va, AccessKind.Execute, FaultReason.NoExecute));
        mmu.Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue("NX forbids fetches only");
        mmu.Translate(Va, AccessKind.Execute, out _, out f).ShouldBeFalse("nor does the TLB entry of the write allow one");
        f.Reason.ShouldBe(FaultReason.NoExecute);
    }

    [Fact]
    public void With_every_right_at_every_level_each_access_translates_to_the_page()
    {
        (_, Mmu mmu) = Tables([]);
        foreach (AccessKind access in new[] { AccessKind.Read, AccessKind.Write, AccessKind.Execute })
        {
            mmu.TranslateUncached(1UL << 12, Va + 0x10, access, out ulong pa, out _).ShouldBeTrue(access.ToString());
            pa.ShouldBe((PageFrame << 12) + 0x10);
        }
    }
}
