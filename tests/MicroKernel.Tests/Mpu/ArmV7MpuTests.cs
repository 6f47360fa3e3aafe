using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;

namespace MicroKernel.Tests.Mpu;

public class ArmV7MpuTests
{
    private const bool User = false;
    private const bool Kernel = true;

    // ---- construction -------------------------------------------------------------------------------------

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void Accepts_8_or_16_regions(int count)
    {
        var mpu = new ArmV7Mpu(count);
        mpu.RegionCount.ShouldBe(count);
        mpu.ModelName.ShouldBe("ARMv7-M PMSA");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(12)]
    [InlineData(32)]
    [InlineData(-8)]
    public void Other_region_counts_are_a_configuration_error(int count) =>
        Should.Throw<ArgumentOutOfRangeException>(() => new ArmV7Mpu(count));

    [Fact]
    public void A_new_mpu_lets_nothing_through_for_user_code()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.Check(0x2000_0000, 4, AccessKind.Read, User).ShouldBe(new MemoryFault(0x2000_0000, AccessKind.Read, FaultReason.NoRegion));
    }

    // ---- ProgramRegion validation -------------------------------------------------------------------------

    public static TheoryData<int, ulong, ulong, byte, MpuAccess, MpuError> InvalidRegions => new()
    {
        { -1, 0x2000_0000, 0x1000, 0, MpuAccess.ReadWrite, MpuError.RegionNumberOutOfRange },
        { 8, 0x2000_0000, 0x1000, 0, MpuAccess.ReadWrite, MpuError.RegionNumberOutOfRange },
        { 1, 0x2000_0000, 0, 0, MpuAccess.ReadWrite, MpuError.SizeTooSmall },
        { 1, 0x2000_0000, 16, 0, MpuAccess.ReadWrite, MpuError.SizeTooSmall },
        { 1, 0x2000_0000, 48, 0, MpuAccess.ReadWrite, MpuError.SizeNotPowerOfTwo },
        { 1, 0x2000_0000, 0x3000, 0, MpuAccess.ReadWrite, MpuError.SizeNotPowerOfTwo },
        { 1, 0x1_0000_0000, 0x1000, 0, MpuAccess.ReadWrite, MpuError.AddressOutOfRange },
        { 1, 0, 1UL << 33, 0, MpuAccess.ReadWrite, MpuError.AddressOutOfRange },
        { 1, 0xFFFF_FF00, 0x200, 0, MpuAccess.ReadWrite, MpuError.AddressOutOfRange },
        { 1, 0x2000_0100, 0x1000, 0, MpuAccess.ReadWrite, MpuError.BaseNotAligned },
        { 1, 0x2000_0020, 64, 0, MpuAccess.ReadWrite, MpuError.BaseNotAligned },
        { 1, 0x2000_0000, 128, 0x01, MpuAccess.ReadWrite, MpuError.SubregionsNeed256Bytes },
        { 1, 0x2000_0000, 32, 0x80, MpuAccess.ReadWrite, MpuError.SubregionsNeed256Bytes },
        { 1, 0x2000_0000, 0x1000, 0, (MpuAccess)42, MpuError.UnsupportedAccess },
    };

    [Theory]
    [MemberData(nameof(InvalidRegions))]
    public void Invalid_regions_are_rejected_and_change_nothing(int number, ulong baseAddress, ulong size, byte srd, MpuAccess access, MpuError expected)
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(1, 0x1000_0000, 0x1_0000, MpuAccess.ReadOnly, executeNever: false).ShouldBe(MpuError.None);
        var before = Snapshot(mpu);

        mpu.ProgramRegion(number, baseAddress, size, srd, access, executeNever: true).ShouldBe(expected);

        Snapshot(mpu).ShouldBe(before);
        mpu.Check(0x1000_0000, 4, AccessKind.Read, User).ShouldBeNull();
    }

    [Fact]
    public void The_four_argument_ProgramRegion_rejects_the_same_way()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 48, MpuAccess.ReadWrite, false).ShouldBe(MpuError.SizeNotPowerOfTwo);
        mpu.ProgramRegion(0, 0x2000_0010, 32, MpuAccess.ReadWrite, false).ShouldBe(MpuError.BaseNotAligned);
    }

    [Fact]
    public void The_whole_4_GiB_space_is_one_valid_region()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0, 1UL << 32, MpuAccess.ReadOnly, false).ShouldBe(MpuError.None);
        mpu.ReadRegister(0).Rasr.ShouldBe(1u | 31u << 1 | 0b110u << 24);
        mpu.Check(0xFFFF_FFF8, 8, AccessKind.Read, User).ShouldBeNull();
    }

    // ---- register level -----------------------------------------------------------------------------------

    [Fact]
    public void ProgramRegion_encodes_RBAR_and_RASR()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(3, 0x2000_0000, 0x1000, 0b1000_0001, MpuAccess.ReadWrite, executeNever: true).ShouldBe(MpuError.None);

        var (rbar, rasr) = mpu.ReadRegister(3);
        rbar.ShouldBe(0x2000_0003u);                      // ADDR | REGION = 3, VALID reads 0
        rasr.ShouldBe(1u                                  // ENABLE
                      | 11u << 1                          // SIZE: 2^(11+1) = 4 KiB
                      | 0x81u << 8                        // SRD
                      | 0b011u << 24                      // AP: RW/RW
                      | 1u << 28);                        // XN
    }

    [Theory]
    [InlineData(MpuAccess.None, 0b000u)]
    [InlineData(MpuAccess.PrivilegedReadWrite, 0b001u)]
    [InlineData(MpuAccess.PrivilegedReadWriteUserReadOnly, 0b010u)]
    [InlineData(MpuAccess.ReadWrite, 0b011u)]
    [InlineData(MpuAccess.PrivilegedReadOnly, 0b101u)]
    [InlineData(MpuAccess.ReadOnly, 0b110u)]
    public void Every_access_has_its_AP_encoding(MpuAccess access, uint ap)
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0x100, 0x100, access, false).ShouldBe(MpuError.None);
        ((mpu.ReadRegister(0).Rasr >> 24) & 7).ShouldBe(ap);
    }

    [Fact]
    public void WriteRegister_then_ReadRegister_round_trips_the_implemented_bits()
    {
        var mpu = new ArmV7Mpu(16);
        const uint rbar = 0x0800_0000 | 1u << 4 | 0x9;   // VALID = 1 and REGION = 9 are ignored
        const uint rasr = 1u | 16u << 1 | 0x3Cu << 8 | 0x2Du << 16 | 0b101u << 24 | 1u << 28;
        const uint reserved = 1u << 31 | 1u << 27 | 0b11u << 22 | 0b11u << 6;

        mpu.WriteRegister(12, rbar, rasr | reserved).ShouldBe(MpuError.None);

        mpu.ReadRegister(12).ShouldBe((0x0800_0000u | 12u, rasr)); // REGION reads the selected number
        mpu.ReadRegister(9).ShouldBe((9u, 0u));                     // region 9 untouched
    }

    [Fact]
    public void WriteRegister_and_ProgramRegion_give_the_same_behaviour()
    {
        var viaCall = new ArmV7Mpu(8);
        viaCall.ProgramRegion(2, 0x400, 0x400, 0b0000_0100, MpuAccess.PrivilegedReadWriteUserReadOnly, executeNever: true);
        var viaRegisters = new ArmV7Mpu(8);
        var (rbar, rasr) = viaCall.ReadRegister(2);
        viaRegisters.WriteRegister(2, rbar, rasr).ShouldBe(MpuError.None);

        viaRegisters.ReadRegister(2).ShouldBe(viaCall.ReadRegister(2));
        viaRegisters.Describe().ShouldBe(viaCall.Describe());
    }

    public static TheoryData<int, uint, uint, MpuError> InvalidRegisterWrites => new()
    {
        { 8, 0x2000_0000, 1u | 11u << 1 | 3u << 24, MpuError.RegionNumberOutOfRange },
        { -1, 0x2000_0000, 1u | 11u << 1 | 3u << 24, MpuError.RegionNumberOutOfRange },
        { 1, 0x2000_0000, 1u | 3u << 1 | 3u << 24, MpuError.SizeTooSmall },       // SIZE 3: 16 bytes
        { 1, 0x2000_0000, 1u | 0u << 1 | 3u << 24, MpuError.SizeTooSmall },
        { 1, 0x2000_0000, 1u | 6u << 1 | 0x10u << 8 | 3u << 24, MpuError.SubregionsNeed256Bytes }, // 128 bytes
        { 1, 0x2000_0800, 1u | 11u << 1 | 3u << 24, MpuError.BaseNotAligned },    // 4 KiB at +2 KiB
        { 1, 0x0000_0020, 1u | 31u << 1 | 3u << 24, MpuError.BaseNotAligned },    // 4 GiB must start at 0
        { 1, 0x2000_0000, 1u | 11u << 1 | 0b100u << 24, MpuError.UnsupportedAccess }, // reserved AP
    };

    [Theory]
    [MemberData(nameof(InvalidRegisterWrites))]
    public void Invalid_register_writes_are_rejected_and_change_nothing(int number, uint rbar, uint rasr, MpuError expected)
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(1, 0x1000_0000, 0x1_0000, MpuAccess.ReadOnly, executeNever: false).ShouldBe(MpuError.None);
        var before = Snapshot(mpu);

        mpu.WriteRegister(number, rbar, rasr).ShouldBe(expected);

        Snapshot(mpu).ShouldBe(before);
    }

    [Fact]
    public void A_disabled_register_write_is_stored_even_with_fields_that_would_be_invalid()
    {
        var mpu = new ArmV7Mpu(8);
        // RASR = 0 is how software disables a region; a disabled region's fields are not checked.
        mpu.WriteRegister(0, 0x2000_0040, 0).ShouldBe(MpuError.None);
        mpu.WriteRegister(1, 0x2000_0040, 2u << 1 | 0xFFu << 8 | 0b100u << 24).ShouldBe(MpuError.None);
        mpu.ReadRegister(1).ShouldBe((0x2000_0041u, 2u << 1 | 0xFFu << 8 | 0b100u << 24));
        mpu.Check(0x2000_0040, 4, AccessKind.Read, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion);
    }

    [Fact]
    public void AP_111_is_the_second_read_only_encoding()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.WriteRegister(0, 0x1000, 1u | 11u << 1 | 0b111u << 24).ShouldBe(MpuError.None);
        mpu.Check(0x1000, 4, AccessKind.Read, User).ShouldBeNull();
        mpu.Check(0x1000, 4, AccessKind.Write, Kernel)!.Value.Reason.ShouldBe(FaultReason.ReadOnly);
        mpu.ReadRegister(0).Rasr.ShouldBe(1u | 11u << 1 | 0b111u << 24); // stored as written
    }

    [Fact]
    public void ReadRegister_outside_the_unit_throws()
    {
        var mpu = new ArmV7Mpu(8);
        Should.Throw<ArgumentOutOfRangeException>(() => mpu.ReadRegister(8));
        Should.Throw<ArgumentOutOfRangeException>(() => mpu.ReadRegister(-1));
    }

    // ---- matching -----------------------------------------------------------------------------------------

    [Fact]
    public void The_highest_numbered_matching_region_wins()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(2, 0x2000_0000, 0x1_0000, MpuAccess.ReadWrite, false);
        mpu.ProgramRegion(5, 0x2000_4000, 0x1000, MpuAccess.ReadOnly, false);

        mpu.Check(0x2000_4010, 4, AccessKind.Write, User).ShouldBe(new MemoryFault(0x2000_4010, AccessKind.Write, FaultReason.ReadOnly));
        mpu.Check(0x2000_3ff0, 4, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x2000_5000, 4, AccessKind.Write, User).ShouldBeNull();
    }

    [Fact]
    public void A_lower_numbered_region_inside_a_higher_one_is_hidden()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(1, 0x2000_4000, 0x1000, MpuAccess.ReadOnly, false);
        mpu.ProgramRegion(6, 0x2000_0000, 0x1_0000, MpuAccess.ReadWrite, false);

        mpu.Check(0x2000_4010, 4, AccessKind.Write, User).ShouldBeNull();
    }

    [Fact]
    public void A_disabled_subregion_reveals_the_lower_region()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x1_0000, MpuAccess.ReadWrite, false);
        // 2 KiB, no access, sub-region 2 (0x2000_0200-0x2000_02ff) disabled: a window onto region 0.
        mpu.ProgramRegion(4, 0x2000_0000, 0x800, 0b0000_0100, MpuAccess.None, false).ShouldBe(MpuError.None);

        mpu.Check(0x2000_0250, 8, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x2000_01f8, 8, AccessKind.Read, User).ShouldBe(new MemoryFault(0x2000_01f8, AccessKind.Read, FaultReason.AccessDenied));
        mpu.Check(0x2000_0300, 8, AccessKind.Read, Kernel).ShouldBe(new MemoryFault(0x2000_0300, AccessKind.Read, FaultReason.AccessDenied));
        // A range leaving the window faults at its first byte outside.
        mpu.Check(0x2000_0200, 0x101, AccessKind.Read, User).ShouldBe(new MemoryFault(0x2000_0300, AccessKind.Read, FaultReason.AccessDenied));
    }

    [Fact]
    public void A_disabled_subregion_with_nothing_below_matches_no_region()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x800, 0b1000_0000, MpuAccess.ReadWrite, false);

        mpu.Check(0x2000_06ff, 1, AccessKind.Read, User).ShouldBeNull();
        mpu.Check(0x2000_0700, 1, AccessKind.Read, User).ShouldBe(new MemoryFault(0x2000_0700, AccessKind.Read, FaultReason.NoRegion));
        mpu.Check(0x2000_06f0, 0x20, AccessKind.Read, User).ShouldBe(new MemoryFault(0x2000_0700, AccessKind.Read, FaultReason.NoRegion));
        mpu.Check(0x2000_0700, 1, AccessKind.Read, Kernel).ShouldBeNull(); // background map
    }

    [Fact]
    public void No_match_faults_for_user_code_and_is_allowed_for_privileged_code()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x1000, MpuAccess.ReadWrite, true);

        foreach (var kind in new[] { AccessKind.Read, AccessKind.Write, AccessKind.Execute })
        {
            mpu.Check(0x3000_0000, 4, kind, User).ShouldBe(new MemoryFault(0x3000_0000, kind, FaultReason.NoRegion));
            mpu.Check(0x3000_0000, 4, kind, Kernel).ShouldBeNull();
        }
    }

    // ---- ranges -------------------------------------------------------------------------------------------

    [Fact]
    public void A_range_across_two_permitting_regions_is_allowed()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x1000, MpuAccess.ReadWrite, false);
        mpu.ProgramRegion(1, 0x2000_1000, 0x1000, MpuAccess.ReadWrite, false);

        mpu.Check(0x2000_0ffc, 8, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x2000_0000, 0x2000, AccessKind.Write, User).ShouldBeNull();
    }

    [Fact]
    public void A_range_faults_at_the_first_refused_byte()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x1000, MpuAccess.ReadWrite, false);
        mpu.ProgramRegion(1, 0x2000_1000, 0x1000, MpuAccess.ReadOnly, false);

        mpu.Check(0x2000_0ffd, 8, AccessKind.Write, User).ShouldBe(new MemoryFault(0x2000_1000, AccessKind.Write, FaultReason.ReadOnly));
        mpu.Check(0x2000_0ffd, 8, AccessKind.Read, User).ShouldBeNull();
        // Past the second region: a gap.
        mpu.Check(0x2000_1ffc, 8, AccessKind.Read, User).ShouldBe(new MemoryFault(0x2000_2000, AccessKind.Read, FaultReason.NoRegion));
        // The last byte alone decides when the rest is fine.
        mpu.Check(0x2000_0000, 0x1001, AccessKind.Write, User).ShouldBe(new MemoryFault(0x2000_1000, AccessKind.Write, FaultReason.ReadOnly));
    }

    [Fact]
    public void A_middle_hole_is_found_even_when_the_first_and_last_bytes_are_fine()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x1000, MpuAccess.ReadWrite, false);
        mpu.ProgramRegion(7, 0x2000_0800, 0x20, MpuAccess.PrivilegedReadWrite, false);

        mpu.Check(0x2000_0000, 0x1000, AccessKind.Read, User).ShouldBe(new MemoryFault(0x2000_0800, AccessKind.Read, FaultReason.Supervisor));
        mpu.Check(0x2000_0000, 0x1000, AccessKind.Read, Kernel).ShouldBeNull();
    }

    [Fact]
    public void A_check_of_the_whole_space_is_not_done_byte_by_byte()
    {
        // 16 regions with sub-regions all over the space; a per-byte walk of 4 GiB would time out.
        var mpu = new ArmV7Mpu(16);
        for (int n = 0; n < 16; n++)
            mpu.ProgramRegion(n, (ulong)n << 28, 1UL << 27, (byte)(0x55 << (n % 2)), MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);

        mpu.Check(0, 1UL << 32, AccessKind.Write, Kernel).ShouldBeNull();
        mpu.Check(0, 1UL << 32, AccessKind.Write, User).ShouldBe(new MemoryFault(0, AccessKind.Write, FaultReason.NoRegion));
        mpu.Check(1UL << 28, 1UL << 32, AccessKind.Write, User).ShouldBe(new MemoryFault((1UL << 28) + (1UL << 24), AccessKind.Write, FaultReason.NoRegion));
    }

    [Fact]
    public void Length_zero_is_always_allowed()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.Check(0x3000_0000, 0, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(ulong.MaxValue, 0, AccessKind.Write, User).ShouldBeNull();
    }

    [Fact]
    public void Bytes_beyond_4_GiB_do_not_exist_even_for_privileged_code()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0xFFFF_F000, 0x1000, MpuAccess.ReadWrite, false);

        mpu.Check(0xFFFF_FFFC, 4, AccessKind.Read, User).ShouldBeNull();
        mpu.Check(0xFFFF_FFFC, 8, AccessKind.Read, User).ShouldBe(new MemoryFault(0x1_0000_0000, AccessKind.Read, FaultReason.NoRegion));
        mpu.Check(0xFFFF_FFFC, 8, AccessKind.Read, Kernel).ShouldBe(new MemoryFault(0x1_0000_0000, AccessKind.Read, FaultReason.NoRegion));
        mpu.Check(0x1_2345_0000, 1, AccessKind.Read, Kernel).ShouldBe(new MemoryFault(0x1_2345_0000, AccessKind.Read, FaultReason.NoRegion));
        // Wrapping past 2^64 starts beyond 4 GiB: the first byte faults.
        mpu.Check(ulong.MaxValue - 3, 8, AccessKind.Read, Kernel).ShouldBe(new MemoryFault(ulong.MaxValue - 3, AccessKind.Read, FaultReason.NoRegion));
        // A huge length from inside the space: refused bytes before 4 GiB come first.
        mpu.Check(0xFFFF_FFFC, ulong.MaxValue, AccessKind.Write, User).ShouldBe(new MemoryFault(0x1_0000_0000, AccessKind.Write, FaultReason.NoRegion));
        mpu.Check(0x1000, ulong.MaxValue, AccessKind.Write, User).ShouldBe(new MemoryFault(0x1000, AccessKind.Write, FaultReason.NoRegion));
    }

    // ---- disabling and describing -------------------------------------------------------------------------

    [Fact]
    public void DisableRegion_and_DisableAll_remove_regions()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0x1000, 0x1000, MpuAccess.ReadWrite, false);
        mpu.ProgramRegion(1, 0x4000, 0x1000, MpuAccess.ReadWrite, false);
        mpu.Check(0x1000, 4, AccessKind.Read, User).ShouldBeNull();

        mpu.DisableRegion(0).ShouldBe(MpuError.None);
        mpu.Check(0x1000, 4, AccessKind.Read, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion);
        mpu.Check(0x4000, 4, AccessKind.Read, User).ShouldBeNull();
        (mpu.ReadRegister(0).Rasr & 1).ShouldBe(0u);

        mpu.DisableRegion(8).ShouldBe(MpuError.RegionNumberOutOfRange);

        mpu.DisableAll();
        mpu.Check(0x4000, 4, AccessKind.Read, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion);
    }

    [Fact]
    public void Describe_lists_enabled_regions_one_per_line()
    {
        var mpu = new ArmV7Mpu(8);
        mpu.Describe().ShouldContain("no region enabled");

        mpu.ProgramRegion(3, 0x2000_0000, 0x1000, MpuAccess.ReadWrite, executeNever: true);
        mpu.ProgramRegion(0, 0x0800_0000, 0x4_0000, 0b1100_0000, MpuAccess.PrivilegedReadWriteUserReadOnly, executeNever: false);
        mpu.ProgramRegion(5, 0x100, 0x100, MpuAccess.ReadWrite, false);
        mpu.DisableRegion(5);

        var lines = mpu.Describe().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(3);
        lines[0].ShouldStartWith("ARMv7-M PMSA, 8 regions");
        lines[1].ShouldBe("r0   0x08000000-0x0803ffff  256 KiB  RW/RO  X   srd=11000000");
        lines[2].ShouldBe("r3   0x20000000-0x20000fff    4 KiB  RW/RW  XN  srd=00000000");
    }

    private static string Snapshot(ArmV7Mpu mpu) =>
        string.Join(";", Enumerable.Range(0, mpu.RegionCount).Select(n => mpu.ReadRegister(n).ToString())) + mpu.Describe();
}
