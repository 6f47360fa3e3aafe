using MicroKernel.Hardware.Mpu;

namespace MicroKernel.Tests.Mpu;

/// <summary>
/// The region tables of both models (<c>Describe</c>, what <c>mk</c> dumps show students): sizes in the largest whole
/// unit, the access of every permission, and which ARMv8-M regions are flagged as overlapping (touching is not
/// overlapping, and an EMPTY region overlaps nothing).
/// </summary>
public class MpuDescribeTests
{
    private static string[] Lines(Hardware.Mpu.Mpu mpu) => mpu.Describe().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Sizes_are_shown_in_the_largest_unit_that_divides_them()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(0, 0x0000_0000, 0x4000_0000, MpuAccess.ReadOnly, false).ShouldBe(MpuError.None);          // 1 GiB
        mpu.ProgramRegion(1, 0x4000_0000, 0x6000_0000, MpuAccess.ReadWrite, true).ShouldBe(MpuError.None);          // 1.5 GiB
        mpu.ProgramRegion(2, 0xA000_0000, 0x0010_0400, MpuAccess.PrivilegedReadWrite, true).ShouldBe(MpuError.None); // 1 MiB + 1 KiB
        mpu.ProgramRegion(3, 0xB000_0000, 0x0000_0420, MpuAccess.PrivilegedReadOnly, true).ShouldBe(MpuError.None); // 1 KiB + 32 B

        string[] lines = Lines(mpu);
        lines.Length.ShouldBe(5);
        lines[1].ShouldBe("r0   0x00000000-0x3fffffff    1 GiB  RO/RO  X ");
        lines[2].ShouldBe("r1   0x40000000-0x9fffffff  1536 MiB  RW/RW  XN");
        lines[3].ShouldBe("r2   0xa0000000-0xa01003ff  1025 KiB  RW/--  XN");
        lines[4].ShouldBe("r3   0xb0000000-0xb000041f   1056 B  RO/--  XN");
    }

    [Fact]
    public void The_whole_space_is_4_GiB_and_no_access_shows_as_dashes()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(7, 0, 1UL << 32, MpuAccess.None, executeNever: true).ShouldBe(MpuError.None);
        Lines(mpu)[1].ShouldBe("r7   0x00000000-0xffffffff    4 GiB  --/--  XN  srd=00000000");
    }

    [Fact]
    public void Regions_that_only_touch_are_not_flagged_as_overlapping()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x1000, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        mpu.ProgramRegion(1, 0x2000_1000, 0x1000, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        mpu.ProgramRegion(2, 0x1FFF_F000, 0x1000, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);

        string[] lines = Lines(mpu);
        lines.Length.ShouldBe(4);
        lines.Skip(1).ShouldAllBe(line => !line.Contains("OVERLAPS"));
    }

    [Fact]
    public void An_overlap_lists_every_other_region_it_shares_an_address_with_and_an_empty_region_is_none()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x1000, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        mpu.ProgramRegion(3, 0x2000_0FE0, 0x40, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);   // shares the last 32 bytes of r0
        mpu.ProgramRegion(4, 0x1FFF_FFE0, 0x40, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);   // shares the first 32 bytes of r0
        // r6: enabled with LIMIT below BASE, over the same addresses: it matches nothing, so it overlaps nothing.
        mpu.WriteRegister(6, 0x2000_0800 | 0b01u << 1, 0x2000_0000 | 1u).ShouldBe(MpuError.None);

        string[] lines = Lines(mpu);
        lines.Length.ShouldBe(5);
        lines[1].ShouldEndWith("OVERLAPS r3,r4");
        lines[2].ShouldEndWith("OVERLAPS r0");
        lines[3].ShouldEndWith("OVERLAPS r0");
        lines[4].ShouldBe("r6   EMPTY: LIMIT 0x2000001f < BASE 0x20000800, matches nothing");
    }

    [Fact]
    public void A_unit_whose_regions_were_all_disabled_says_so()
    {
        var v7 = new ArmV7Mpu(16);
        v7.ProgramRegion(15, 0x100, 0x100, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        v7.DisableAll();
        Lines(v7).ShouldBe(["ARMv7-M PMSA, 16 regions (access = privileged/user; srd bit n = 1: n-th eighth off)",
            "(no region enabled: user code faults everywhere, privileged code uses the default map)"]);

        var v8 = new ArmV8Mpu(16);
        v8.ProgramRegion(15, 0x100, 0x100, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        v8.DisableRegion(15).ShouldBe(MpuError.None);
        Lines(v8).ShouldBe(["ARMv8-M PMSA, 16 regions (access = privileged/user; overlapping regions fault)",
            "(no region enabled: user code faults everywhere, privileged code uses the default map)"]);
    }
}
