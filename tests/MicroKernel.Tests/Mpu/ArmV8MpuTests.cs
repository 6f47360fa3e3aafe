using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;

namespace MicroKernel.Tests.Mpu;

public class ArmV8MpuTests
{
    private const bool User = false;
    private const bool Kernel = true;

    // ---- construction -------------------------------------------------------------------------------------

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void Accepts_8_or_16_regions(int count)
    {
        var mpu = new ArmV8Mpu(count);
        mpu.RegionCount.ShouldBe(count);
        mpu.ModelName.ShouldBe("ARMv8-M PMSA");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(32)]
    public void Other_region_counts_are_a_configuration_error(int count) =>
        Should.Throw<ArgumentOutOfRangeException>(() => new ArmV8Mpu(count));

    // ---- ProgramRegion validation -------------------------------------------------------------------------

    public static TheoryData<int, ulong, ulong, MpuAccess, MpuError> InvalidRegions => new()
    {
        { -1, 0x2000_0000, 0x100, MpuAccess.ReadWrite, MpuError.RegionNumberOutOfRange },
        { 8, 0x2000_0000, 0x100, MpuAccess.ReadWrite, MpuError.RegionNumberOutOfRange },
        { 1, 0x2000_0000, 0, MpuAccess.ReadWrite, MpuError.SizeTooSmall },
        { 1, 0x2000_0000, 31, MpuAccess.ReadWrite, MpuError.SizeTooSmall },
        { 1, 0x2000_0000, 48, MpuAccess.ReadWrite, MpuError.SizeNotGranular },
        { 1, 0x2000_0000, 0x1001, MpuAccess.ReadWrite, MpuError.SizeNotGranular },
        { 1, 0x1_0000_0000, 0x100, MpuAccess.ReadWrite, MpuError.AddressOutOfRange },
        { 1, 0xFFFF_FF00, 0x120, MpuAccess.ReadWrite, MpuError.AddressOutOfRange },
        { 1, 0, (1UL << 32) + 32, MpuAccess.ReadWrite, MpuError.AddressOutOfRange },
        { 1, 0x2000_0010, 0x100, MpuAccess.ReadWrite, MpuError.BaseNotAligned },
        { 1, 0x2000_0000, 0x100, MpuAccess.None, MpuError.UnsupportedAccess },
        { 1, 0x2000_0000, 0x100, MpuAccess.PrivilegedReadWriteUserReadOnly, MpuError.UnsupportedAccess },
        { 1, 0x2000_0000, 0x100, (MpuAccess)42, MpuError.UnsupportedAccess },
    };

    [Theory]
    [MemberData(nameof(InvalidRegions))]
    public void Invalid_regions_are_rejected_and_change_nothing(int number, ulong baseAddress, ulong size, MpuAccess access, MpuError expected)
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(1, 0x1000_0000, 0x1_0000, MpuAccess.ReadOnly, executeNever: false).ShouldBe(MpuError.None);
        var before = Snapshot(mpu);

        mpu.ProgramRegion(number, baseAddress, size, access, executeNever: true).ShouldBe(expected);

        Snapshot(mpu).ShouldBe(before);
        mpu.Check(0x1000_0000, 4, AccessKind.Read, User).ShouldBeNull();
    }

    [Fact]
    public void Sizes_need_not_be_powers_of_two_nor_bases_aligned_to_them()
    {
        var mpu = new ArmV8Mpu(8);
        // The Arm example that PMSAv7 needs several regions for: 0x3BC00-0x80400.
        mpu.ProgramRegion(0, 0x3_BC00, 0x8_0400 - 0x3_BC00, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        mpu.Check(0x3_BC00, 0x8_0400 - 0x3_BC00, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x8_03FC, 8, AccessKind.Write, User).ShouldBe(new MemoryFault(0x8_0400, AccessKind.Write, FaultReason.NoRegion));
        mpu.Check(0x3_BBFC, 8, AccessKind.Write, User).ShouldBe(new MemoryFault(0x3_BBFC, AccessKind.Write, FaultReason.NoRegion));
    }

    [Fact]
    public void The_smallest_region_is_32_bytes_and_the_largest_the_whole_space()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(0, 0x20, 32, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        mpu.ProgramRegion(1, 0, 1UL << 32, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        mpu.ReadRegister(1).ShouldBe((0b01u << 1, 0xFFFF_FFE1u));
    }

    // ---- register level -----------------------------------------------------------------------------------

    [Fact]
    public void ProgramRegion_encodes_RBAR_and_RLAR()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(2, 0x2000_0000, 0x120, MpuAccess.ReadOnly, executeNever: true).ShouldBe(MpuError.None);

        var (rbar, rlar) = mpu.ReadRegister(2);
        rbar.ShouldBe(0x2000_0000u | 0b11u << 1 | 1u); // BASE | AP = RO/RO | XN
        rlar.ShouldBe(0x2000_0100u | 1u);              // LIMIT = 0x2000011f >> 5 | EN
    }

    [Theory]
    [InlineData(MpuAccess.PrivilegedReadWrite, 0b00u)]
    [InlineData(MpuAccess.ReadWrite, 0b01u)]
    [InlineData(MpuAccess.PrivilegedReadOnly, 0b10u)]
    [InlineData(MpuAccess.ReadOnly, 0b11u)]
    public void Every_encodable_access_has_its_AP_bits_and_decodes_back(MpuAccess access, uint ap)
    {
        var viaCall = new ArmV8Mpu(8);
        viaCall.ProgramRegion(0, 0x100, 0x100, access, false).ShouldBe(MpuError.None);
        ((viaCall.ReadRegister(0).Rbar >> 1) & 3).ShouldBe(ap);

        var viaRegisters = new ArmV8Mpu(8);
        viaRegisters.WriteRegister(0, 0x100 | ap << 1, 0x1E0 | 1).ShouldBe(MpuError.None);
        viaRegisters.Describe().ShouldBe(viaCall.Describe());
    }

    [Fact]
    public void WriteRegister_then_ReadRegister_round_trips_the_implemented_bits()
    {
        var mpu = new ArmV8Mpu(16);
        const uint rbar = 0x0800_0000 | 0b10u << 3 | 0b01u << 1 | 1u; // SH = outer shareable, kept
        const uint rlar = 0x0800_7FE0 | 0b101u << 1 | 1u;             // AttrIndx = 5, kept

        mpu.WriteRegister(15, rbar, rlar | 1u << 4).ShouldBe(MpuError.None); // bit 4 (PXN in v8.1-M) dropped

        mpu.ReadRegister(15).ShouldBe((rbar, rlar));
        mpu.Check(0x0800_7FF8, 8, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x0800_7FF8, 9, AccessKind.Write, User)!.Value.Address.ShouldBe(0x0800_8000ul);
    }

    [Fact]
    public void With_RejectLimitBelowBase_a_limit_below_the_base_is_rejected_and_changes_nothing()
    {
        var mpu = new ArmV8Mpu(8) { RejectLimitBelowBase = true };
        mpu.ProgramRegion(3, 0x1000, 0x1000, MpuAccess.ReadWrite, false);
        var before = Snapshot(mpu);

        mpu.WriteRegister(3, 0x2000_0020, 0x2000_0000 | 1).ShouldBe(MpuError.SizeTooSmall);
        mpu.WriteRegister(8, 0x2000_0000, 0x2000_0000 | 1).ShouldBe(MpuError.RegionNumberOutOfRange);

        Snapshot(mpu).ShouldBe(before);
        mpu.WriteRegister(3, 0x2000_0020, 0x2000_0000).ShouldBe(MpuError.None); // disabled: stored as is
    }

    [Fact]
    public void ReadRegister_outside_the_unit_throws() =>
        Should.Throw<ArgumentOutOfRangeException>(() => new ArmV8Mpu(8).ReadRegister(8));

    // ---- matching -----------------------------------------------------------------------------------------

    [Fact]
    public void Overlapping_regions_fault_for_everyone()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(0, 0x1000, 0x1000, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        mpu.ProgramRegion(1, 0x1800, 0x1000, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None); // accepted

        mpu.Check(0x1800, 4, AccessKind.Read, User).ShouldBe(new MemoryFault(0x1800, AccessKind.Read, FaultReason.RegionOverlap));
        mpu.Check(0x1fff, 1, AccessKind.Execute, Kernel).ShouldBe(new MemoryFault(0x1fff, AccessKind.Execute, FaultReason.RegionOverlap));
        mpu.Check(0x17f8, 16, AccessKind.Write, Kernel).ShouldBe(new MemoryFault(0x1800, AccessKind.Write, FaultReason.RegionOverlap));
        mpu.Check(0x17f8, 8, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x2000, 0x800, AccessKind.Write, User).ShouldBeNull();

        mpu.DisableRegion(1);
        mpu.Check(0x1800, 0x800, AccessKind.Write, User).ShouldBeNull();
    }

    [Fact]
    public void Identical_regions_overlap_too()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(0, 0x1000, 0x20, MpuAccess.ReadWrite, false);
        mpu.ProgramRegion(7, 0x1000, 0x20, MpuAccess.ReadWrite, false);
        mpu.Check(0x1000, 1, AccessKind.Read, Kernel)!.Value.Reason.ShouldBe(FaultReason.RegionOverlap);
    }

    [Fact]
    public void No_match_faults_for_user_code_and_is_allowed_for_privileged_code()
    {
        var mpu = new ArmV8Mpu(8);
        foreach (var kind in new[] { AccessKind.Read, AccessKind.Write, AccessKind.Execute })
        {
            mpu.Check(0x3000_0000, 4, kind, User).ShouldBe(new MemoryFault(0x3000_0000, kind, FaultReason.NoRegion));
            mpu.Check(0x3000_0000, 4, kind, Kernel).ShouldBeNull();
        }
    }

    // ---- ranges -------------------------------------------------------------------------------------------

    [Fact]
    public void Ranges_across_adjacent_regions()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x60, MpuAccess.ReadWrite, false);
        mpu.ProgramRegion(1, 0x2000_0060, 0x60, MpuAccess.ReadWrite, false);
        mpu.ProgramRegion(2, 0x2000_00C0, 0x40, MpuAccess.PrivilegedReadWrite, false);

        mpu.Check(0x2000_005c, 8, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x2000_0000, 0xC0, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x2000_0000, 0xC1, AccessKind.Write, User).ShouldBe(new MemoryFault(0x2000_00C0, AccessKind.Write, FaultReason.Supervisor));
        mpu.Check(0x2000_0000, 0x101, AccessKind.Write, Kernel).ShouldBeNull(); // privileged: last byte in the background
    }

    [Fact]
    public void Bytes_beyond_4_GiB_do_not_exist()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(0, 0xFFFF_FFE0, 32, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        mpu.Check(0xFFFF_FFF8, 8, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0xFFFF_FFF8, 9, AccessKind.Write, Kernel).ShouldBe(new MemoryFault(0x1_0000_0000, AccessKind.Write, FaultReason.NoRegion));
        mpu.Check(ulong.MaxValue, 2, AccessKind.Write, Kernel).ShouldBe(new MemoryFault(ulong.MaxValue, AccessKind.Write, FaultReason.NoRegion));
        mpu.Check(0xFFFF_FFF8, 0, AccessKind.Write, User).ShouldBeNull();
    }

    // ---- disabling and describing -------------------------------------------------------------------------

    [Fact]
    public void DisableAll_removes_every_region()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(0, 0x1000, 0x1000, MpuAccess.ReadWrite, false);
        mpu.ProgramRegion(4, 0x4000, 0x1000, MpuAccess.ReadWrite, false);
        mpu.DisableRegion(-1).ShouldBe(MpuError.RegionNumberOutOfRange);
        mpu.DisableAll();
        mpu.Check(0x1000, 1, AccessKind.Read, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion);
        mpu.Check(0x4000, 1, AccessKind.Read, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion);
        (mpu.ReadRegister(4).Rlar & 1).ShouldBe(0u);
    }

    [Fact]
    public void Describe_lists_enabled_regions_and_flags_overlaps()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.ProgramRegion(1, 0x2000_0000, 0x1000, MpuAccess.ReadWrite, executeNever: true);
        mpu.ProgramRegion(2, 0x2000_0800, 0x60, MpuAccess.PrivilegedReadOnly, executeNever: false);
        mpu.ProgramRegion(5, 0x0800_0000, 0x10_0000, MpuAccess.ReadOnly, executeNever: false);

        var lines = mpu.Describe().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(4);
        lines[0].ShouldStartWith("ARMv8-M PMSA, 8 regions");
        lines[1].ShouldBe("r1   0x20000000-0x20000fff    4 KiB  RW/RW  XN  OVERLAPS r2");
        lines[2].ShouldBe("r2   0x20000800-0x2000085f     96 B  RO/--  X   OVERLAPS r1");
        lines[3].ShouldBe("r5   0x08000000-0x080fffff    1 MiB  RO/RO  X ");
    }

    private static string Snapshot(ArmV8Mpu mpu) =>
        string.Join(";", Enumerable.Range(0, mpu.RegionCount).Select(n => mpu.ReadRegister(n).ToString())) + mpu.Describe();
}
