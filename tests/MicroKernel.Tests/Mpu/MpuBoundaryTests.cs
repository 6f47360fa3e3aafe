using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;

namespace MicroKernel.Tests.Mpu;

/// <summary>
/// What the Mpu run of issue 22 found unchecked: region numbers just outside the unit on every ARMv8-M entry point, a
/// region change after the map was built, the byte at 2^32 after a region that ends there, the default map's device
/// area and its last byte, the 1 KiB unit, and the messages of configuration errors.
/// </summary>
public class MpuBoundaryTests
{
    private const bool User = false;
    private const bool Kernel = true;
    private const ulong FourGiB = 1UL << 32;

    [Fact]
    public void A_wrong_region_count_says_what_the_model_takes()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new ArmV7Mpu(12)).Message.ShouldStartWith("an ARMv7-M MPU has 8 or 16 regions");
        Should.Throw<ArgumentOutOfRangeException>(() => new ArmV8Mpu(4)).Message.ShouldStartWith("an ARMv8-M MPU has 8 or 16 regions");
    }

    [Fact]
    public void ArmV8_every_entry_point_refuses_a_number_just_outside_the_unit()
    {
        var mpu = new ArmV8Mpu(8);
        Should.Throw<ArgumentOutOfRangeException>(() => mpu.ReadRegister(-1));
        Should.Throw<ArgumentOutOfRangeException>(() => mpu.ReadRegister(8));
        mpu.DisableRegion(8).ShouldBe(MpuError.RegionNumberOutOfRange);
        mpu.DisableRegion(7).ShouldBe(MpuError.None);
        mpu.WriteRegister(8, 0, 1).ShouldBe(MpuError.RegionNumberOutOfRange);
        mpu.ProgramRegion(8, 0, 32, MpuAccess.ReadWrite, false).ShouldBe(MpuError.RegionNumberOutOfRange);
    }

    [Fact]
    public void Disabling_every_region_after_a_check_takes_effect_at_the_next_check()
    {
        Hardware.Mpu.Mpu[] units = [new ArmV7Mpu(8), new ArmV8Mpu(8)];
        foreach (Hardware.Mpu.Mpu mpu in units)
        {
            mpu.ProgramRegion(2, 0x2000_0000, 0x1000, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
            mpu.Check(0x2000_0000, 8, AccessKind.Write, User).ShouldBeNull(mpu.ModelName); // the map is built here
            mpu.DisableAll();
            mpu.Check(0x2000_0000, 8, AccessKind.Write, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion, mpu.ModelName);
            mpu.ProgramRegion(2, 0x2000_0000, 0x1000, MpuAccess.ReadOnly, false).ShouldBe(MpuError.None);
            mpu.Check(0x2000_0000, 8, AccessKind.Write, User)!.Value.Reason.ShouldBe(FaultReason.ReadOnly, mpu.ModelName);
            mpu.DisableRegion(2).ShouldBe(MpuError.None);
            mpu.Check(0x2000_0000, 8, AccessKind.Read, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion, mpu.ModelName);
        }
    }

    [Fact]
    public void The_byte_at_4_GiB_does_not_exist_even_after_a_region_that_ends_there()
    {
        Hardware.Mpu.Mpu[] units = [new ArmV7Mpu(8), new ArmV8Mpu(8)];
        foreach (Hardware.Mpu.Mpu mpu in units)
        {
            mpu.ProgramRegion(0, 0xFFFF_FF00, 0x100, MpuAccess.ReadOnly, false).ShouldBe(MpuError.None);
            mpu.Check(0xFFFF_FFFF, 1, AccessKind.Write, User)!.Value.Reason.ShouldBe(FaultReason.ReadOnly, mpu.ModelName);
            MemoryFault beyond = mpu.Check(FourGiB, 4, AccessKind.Write, User)!.Value;
            (beyond.Address, beyond.Reason).ShouldBe((FourGiB, FaultReason.NoRegion), mpu.ModelName);
            mpu.Check(FourGiB, 1, AccessKind.Read, Kernel)!.Value.Reason.ShouldBe(FaultReason.NoRegion, mpu.ModelName);
        }
    }

    [Fact]
    public void The_default_map_lets_user_code_use_the_device_area_but_not_execute_there()
    {
        DefaultMemoryMap.Decide(0xA000_0000, AccessKind.Write, User).ShouldBeNull();
        DefaultMemoryMap.Decide(0xDFFF_FFFF, AccessKind.Read, User).ShouldBeNull();
        DefaultMemoryMap.Decide(0xA000_0000, AccessKind.Execute, User).ShouldBe(FaultReason.NoExecute);
        var mpu = new ArmV7Mpu(8) { Enabled = false };
        mpu.Check(0xA000_0000, 0x1000, AccessKind.Write, User).ShouldBeNull();
    }

    [Fact]
    public void The_default_maps_check_of_a_range_past_its_last_byte_faults_at_4_GiB()
    {
        MemoryFault f = DefaultMemoryMap.Check(0xFFFF_FFFF, 2, AccessKind.Read, Kernel)!.Value;
        (f.Address, f.Reason).ShouldBe((FourGiB, FaultReason.NoRegion));
        DefaultMemoryMap.Check(0xFFFF_FFFF, 1, AccessKind.Read, Kernel).ShouldBeNull();
        Should.Throw<ArgumentOutOfRangeException>(() => DefaultMemoryMap.AreaOf(FourGiB)).Message.ShouldStartWith("the default map covers the 32-bit space only");
    }

    [Fact]
    public void A_region_of_exactly_1_KiB_is_shown_as_1_KiB()
    {
        var v8 = new ArmV8Mpu(8);
        v8.ProgramRegion(1, 0x2000_0000, 1024, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        v8.Describe().ShouldContain("r1   0x20000000-0x200003ff    1 KiB  RW/RW  X ");
        var v7 = new ArmV7Mpu(8);
        v7.ProgramRegion(0, 0x2000_0000, 1024, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        v7.Describe().ShouldContain("r0   0x20000000-0x200003ff    1 KiB  RW/RW  X ");
    }

    [Fact]
    public void An_access_value_no_model_defines_allows_nothing_and_an_unknown_access_kind_is_refused()
    {
        var undefined = (MpuAccess)42;
        MpuPermissions.CanRead(undefined, privileged: true).ShouldBeFalse();
        MpuPermissions.CanWrite(undefined, privileged: true).ShouldBeFalse();
        Should.Throw<ArgumentOutOfRangeException>(() => MpuPermissions.Decide(MpuAccess.ReadWrite, false, (AccessKind)9, true))
            .Message.ShouldStartWith("unknown access kind");
        new ArmV7Mpu(8).ProgramRegion(0, 0, 32, undefined, false).ShouldBe(MpuError.UnsupportedAccess);
        new ArmV8Mpu(8).ProgramRegion(0, 0, 32, undefined, false).ShouldBe(MpuError.UnsupportedAccess);
    }
}
