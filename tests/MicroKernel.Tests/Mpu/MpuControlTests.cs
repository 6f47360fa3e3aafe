using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;

namespace MicroKernel.Tests.Mpu;

/// <summary>
/// MPU_CTRL and the default memory map, for both models: PRIVDEFENA, ENABLE, the default map's execute-never and
/// privileged-only areas (ARMv7-M ARM B3.1 table B3-1 and B3.5.1 "MPU_CTRL"; Armv8-M ARM B8 "The system address map"
/// and B10.2), and ARMv8-M's LIMIT &lt; BASE (Armv8-M ARM, MPU_RLAR).
/// </summary>
public class MpuControlTests
{
    private const bool User = false;
    private const bool Kernel = true;

    public static TheoryData<string> Models => new() { "v7", "v8" };

    private static Hardware.Mpu.Mpu Make(string model)
    {
        Hardware.Mpu.Mpu mpu = model == "v7" ? new ArmV7Mpu(8) : new ArmV8Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x1000, MpuAccess.ReadWrite, executeNever: true).ShouldBe(MpuError.None);
        return mpu;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void B3_5_1_PRIVDEFENA_set_gives_privileged_code_the_default_map_where_no_region_matches(string model)
    {
        Hardware.Mpu.Mpu mpu = Make(model);
        mpu.PrivilegedDefaultMap.ShouldBeTrue("what the kernel uses");
        mpu.Check(0x0000_1000, 4, AccessKind.Execute, Kernel).ShouldBeNull("Code area: executable");
        mpu.Check(0x6000_0000, 4, AccessKind.Write, Kernel).ShouldBeNull("RAM area");
        mpu.Check(0x0000_1000, 4, AccessKind.Read, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion, "user code has no background region");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void B3_1_the_default_map_is_execute_never_in_peripheral_device_and_system_areas(string model)
    {
        Hardware.Mpu.Mpu mpu = Make(model);
        foreach (ulong xn in new ulong[] { 0x4000_0000, 0x5FFF_FFFC, 0xA000_0000, 0xDFFF_FFFC, 0xE000_E000, 0xE010_0000, 0xFFFF_FFFC })
        {
            MemoryFault? f = mpu.Check(xn, 4, AccessKind.Execute, Kernel);
            f.ShouldNotBeNull($"fetch at 0x{xn:x}");
            f.Value.ShouldBe(new MemoryFault(xn, AccessKind.Execute, FaultReason.NoExecute));
            mpu.Check(xn, 4, AccessKind.Read, Kernel).ShouldBeNull("data accesses are fine there");
        }
        foreach (ulong x in new ulong[] { 0x0000_0000, 0x2000_2000, 0x3FFF_FFFC, 0x6000_0000, 0x9FFF_FFFC })
            mpu.Check(x, 4, AccessKind.Execute, Kernel).ShouldBeNull($"fetch at 0x{x:x}");
        // A privileged fetch that runs from SRAM into the Peripheral area faults at the first XN byte.
        mpu.Check(0x3FFF_FFFE, 4, AccessKind.Execute, Kernel)!.Value.Address.ShouldBe(0x4000_0000UL);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void B3_5_1_PRIVDEFENA_clear_makes_privileged_code_fault_where_no_region_matches(string model)
    {
        Hardware.Mpu.Mpu mpu = Make(model);
        mpu.PrivilegedDefaultMap = false;
        mpu.Check(0x0000_1000, 4, AccessKind.Read, Kernel).ShouldBe(new MemoryFault(0x1000, AccessKind.Read, FaultReason.NoRegion));
        mpu.Check(0x2000_0000, 4, AccessKind.Write, Kernel).ShouldBeNull("inside a region: its permissions decide");
        mpu.Check(0x2000_0FFC, 8, AccessKind.Read, Kernel)!.Value.Address.ShouldBe(0x2000_1000UL, "first byte past the region");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void B3_5_1_with_the_MPU_disabled_every_access_gets_the_default_map(string model)
    {
        Hardware.Mpu.Mpu mpu = Make(model);
        mpu.Check(0x0000_1000, 4, AccessKind.Read, User).ShouldNotBeNull();
        mpu.Enabled = false;
        mpu.Check(0x0000_1000, 4, AccessKind.Read, User).ShouldBeNull("no region needed");
        mpu.Check(0x2000_0000, 4, AccessKind.Execute, User).ShouldBeNull("the region's XN is ignored: the region is");
        mpu.Check(0x4000_0000, 4, AccessKind.Execute, User)!.Value.Reason.ShouldBe(FaultReason.NoExecute);
        // The Private Peripheral Bus (SCS, NVIC, MPU registers) is privileged-only.
        mpu.Check(0xE000_ED90, 4, AccessKind.Read, User)!.Value.Reason.ShouldBe(FaultReason.Supervisor);
        mpu.Check(0xE000_ED90, 4, AccessKind.Write, Kernel).ShouldBeNull();
        mpu.Check(0xFFFF_FFFC, 8, AccessKind.Read, Kernel)!.Value.ShouldBe(new MemoryFault(1UL << 32, AccessKind.Read, FaultReason.NoRegion));
        mpu.Enabled = true;
        mpu.Check(0x0000_1000, 4, AccessKind.Read, User).ShouldNotBeNull();
    }

    [Fact]
    public void Armv8_M_RLAR_an_enabled_region_with_LIMIT_below_BASE_is_stored_and_matches_nothing()
    {
        var mpu = new ArmV8Mpu(8);
        mpu.RejectLimitBelowBase.ShouldBeFalse("the hardware's rule is the default");
        mpu.ProgramRegion(1, 0x2000_0000, 0x100, MpuAccess.ReadWrite, false).ShouldBe(MpuError.None);
        // Region 2 over region 1 would overlap it (and fault) if it matched anything.
        mpu.WriteRegister(2, 0x2000_0040, 0x2000_0000 | 1).ShouldBe(MpuError.None);
        mpu.ReadRegister(2).ShouldBe((0x2000_0040u, 0x2000_0001u));
        mpu.Check(0x2000_0040, 8, AccessKind.Write, User).ShouldBeNull("only region 1 matches: no overlap");
        mpu.Check(0x2000_0000, 0x100, AccessKind.Read, User).ShouldBeNull();
        mpu.Describe().ShouldContain("r2   EMPTY: LIMIT 0x2000001f < BASE 0x20000040, matches nothing");
        mpu.Describe().ShouldNotContain("OVERLAPS");

        mpu.DisableRegion(1);
        mpu.Check(0x2000_0040, 1, AccessKind.Read, User)!.Value.Reason.ShouldBe(FaultReason.NoRegion, "region 2 covers nothing by itself");
    }
}
