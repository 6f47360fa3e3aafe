using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;

namespace MicroKernel.Tests.Mpu;

/// <summary>
/// The edges of what each model accepts (the smallest region, the smallest region with sub-regions, a region that
/// ends exactly at 4 GiB), the default map's areas, and the messages of <see cref="MpuError"/>.
/// </summary>
public class MpuLimitsTests
{
    private const bool User = false;
    private const bool Kernel = true;

    [Fact]
    public void ArmV7_the_smallest_sizes_that_are_allowed_are_accepted()
    {
        var mpu = new ArmV7Mpu(8);
        // RASR.SIZE = 4: 32 bytes, the smallest region.
        mpu.WriteRegister(0, 0x2000_0000, 1u | 4u << 1 | 0b011u << 24).ShouldBe(MpuError.None);
        mpu.Check(0x2000_0000, 32, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x2000_0000, 33, AccessKind.Write, User)!.Value.Address.ShouldBe(0x2000_0020UL);

        // 256 bytes: the smallest region with sub-regions (32 bytes each), by call and by register.
        mpu.ProgramRegion(1, 0x2000_0100, 0x100, 0b0000_0010, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        mpu.WriteRegister(2, 0x2000_0200, 1u | 7u << 1 | 0x80u << 8 | 0b011u << 24).ShouldBe(MpuError.None);
        mpu.Check(0x2000_0100, 32, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x2000_0120, 1, AccessKind.Write, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion, "sub-region 1 of region 1 is off");
        mpu.Check(0x2000_02DF, 1, AccessKind.Write, User).ShouldBeNull();
        mpu.Check(0x2000_02E0, 1, AccessKind.Write, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion, "sub-region 7 of region 2 is off");
    }

    [Fact]
    public void A_region_may_end_exactly_at_4_GiB_but_not_one_granule_later()
    {
        var v7 = new ArmV7Mpu(8);
        v7.ProgramRegion(0, 0xFFFF_FF00, 0x100, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        v7.ProgramRegion(1, 0xFFFF_FFE0, 0x40, MpuAccess.ReadWrite, false).ShouldBe(MpuError.AddressOutOfRange);
        v7.Check(0xFFFF_FF00, 0x100, AccessKind.Write, User).ShouldBeNull();

        var v8 = new ArmV8Mpu(8);
        v8.ProgramRegion(0, 0xFFFF_FF00, 0x100, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        v8.ProgramRegion(1, 0xFFFF_FF20, 0x100, MpuAccess.ReadWrite, false).ShouldBe(MpuError.AddressOutOfRange);
        v8.ProgramRegion(2, 0xFFFF_FFE0, 0x20, MpuAccess.ReadOnly, false).ShouldBe(MpuError.None);
        v8.ReadRegister(2).Rlar.ShouldBe(0xFFFF_FFE1u);
    }

    [Fact]
    public void ArmV8_with_RejectLimitBelowBase_a_one_granule_region_and_a_disabled_write_are_still_accepted()
    {
        var mpu = new ArmV8Mpu(8) { RejectLimitBelowBase = true };
        // LIMIT equal to BASE: the 32 bytes [BASE:00000, LIMIT:11111].
        mpu.WriteRegister(0, 0x2000_0040 | 0b01u << 1, 0x2000_0040 | 1u).ShouldBe(MpuError.None);
        mpu.Check(0x2000_0040, 32, AccessKind.Write, User).ShouldBeNull();
        // A write with EN = 0 describes no region, whatever its LIMIT.
        mpu.WriteRegister(1, 0x2000_0800, 0x2000_0000).ShouldBe(MpuError.None);
        mpu.ReadRegister(1).ShouldBe((0x2000_0800u, 0x2000_0000u));
        // EN = 1 and LIMIT below BASE: refused, nothing stored.
        mpu.WriteRegister(2, 0x2000_0800, 0x2000_0000 | 1u).ShouldBe(MpuError.SizeTooSmall);
        mpu.ReadRegister(2).ShouldBe((0u, 0u));
    }

    [Fact]
    public void ArmV8_keeps_SH_and_AttrIndx_and_drops_the_bits_it_does_not_model()
    {
        var mpu = new ArmV8Mpu(8);
        const uint rbar = 0x0800_0000 | 0b10u << 3 | 0b11u << 1; // SH = 10, AP = 11 (RO for all), XN = 0
        mpu.WriteRegister(3, rbar, 0x0800_0FE0 | 0b101u << 1 | 1u << 4 | 1u).ShouldBe(MpuError.None);
        mpu.ReadRegister(3).ShouldBe((rbar, 0x0800_0FE0u | 0b101u << 1 | 1u), "PXN (bit 4) is not modelled and reads as 0");
        mpu.Check(0x0800_0000, 0x1000, AccessKind.Execute, User).ShouldBeNull();
        mpu.Check(0x0800_0000, 4, AccessKind.Write, Kernel)!.Value.Reason.ShouldBe(FaultReason.ReadOnly);
    }

    [Fact]
    public void The_default_map_covers_the_32_bit_space_in_order_and_nothing_beyond()
    {
        IReadOnlyList<DefaultMemoryMap.Area> areas = DefaultMemoryMap.Areas;
        areas[0].Start.ShouldBe(0UL);
        for (int i = 1; i < areas.Count; i++) areas[i].Start.ShouldBe(areas[i - 1].End);
        areas[^1].End.ShouldBe(1UL << 32);

        DefaultMemoryMap.AreaOf(0x1FFF_FFFF).Name.ShouldBe("Code");
        DefaultMemoryMap.AreaOf(0x2000_0000).Name.ShouldBe("SRAM");
        DefaultMemoryMap.AreaOf(0xE00F_FFFF).Name.ShouldBe("Private Peripheral Bus");
        DefaultMemoryMap.AreaOf(0xFFFF_FFFF).Name.ShouldBe("Vendor system");
        Should.Throw<ArgumentOutOfRangeException>(() => DefaultMemoryMap.AreaOf(1UL << 32));

        DefaultMemoryMap.Decide(0xE000_0000, AccessKind.Execute, User).ShouldBe(FaultReason.Supervisor, "privilege is checked before XN");
        DefaultMemoryMap.Decide(0xE000_0000, AccessKind.Execute, Kernel).ShouldBe(FaultReason.NoExecute);
        DefaultMemoryMap.Decide(0x6000_0000, AccessKind.Execute, User).ShouldBeNull();
    }

    [Fact]
    public void Every_error_has_its_own_message_and_an_unknown_value_shows_its_number()
    {
        MpuError[] errors = Enum.GetValues<MpuError>();
        string[] messages = [.. errors.Select(e => e.Message())];
        messages.ShouldAllBe(m => m.Length > 0);
        messages.Distinct().Count().ShouldBe(errors.Length);
        MpuError.None.Message().ShouldBe("ok");
        MpuError.SubregionsNeed256Bytes.Message().ShouldContain("256 bytes");
        MpuError.SizeNotGranular.Message().ShouldContain("multiple of 32 bytes");
        ((MpuError)200).Message().ShouldBe("200");
    }
}
