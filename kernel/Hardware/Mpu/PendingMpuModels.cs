// TEMPORARY: replaced by the real ArmV7Mpu/ArmV8Mpu from the mpu branch before this lands.
namespace MicroKernel.Hardware.Mpu;

#pragma warning disable CS1591
public sealed class ArmV7Mpu(int regions) : Mpu
{
    public override int RegionCount => regions;
    public override string ModelName => "ARMv7-M PMSA";
    public override MpuError ProgramRegion(int number, ulong baseAddress, ulong size, MpuAccess access, bool executeNever) => MpuError.None;
    public override MpuError DisableRegion(int number) => MpuError.None;
    public override void DisableAll() { }
    public override MemoryFault? Check(ulong address, ulong length, AccessKind access, bool privileged) => null;
    public override string Describe() => "";
}
public sealed class ArmV8Mpu(int regions) : Mpu
{
    public override int RegionCount => regions;
    public override string ModelName => "ARMv8-M PMSA";
    public override MpuError ProgramRegion(int number, ulong baseAddress, ulong size, MpuAccess access, bool executeNever) => MpuError.None;
    public override MpuError DisableRegion(int number) => MpuError.None;
    public override void DisableAll() { }
    public override MemoryFault? Check(ulong address, ulong length, AccessKind access, bool privileged) => null;
    public override string Describe() => "";
}
