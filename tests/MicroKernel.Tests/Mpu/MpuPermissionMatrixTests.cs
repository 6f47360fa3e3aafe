using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;
using MpuBase = MicroKernel.Hardware.Mpu.Mpu;

namespace MicroKernel.Tests.Mpu;

/// <summary>The AP x privilege x access-kind matrix, with and without XN, on both models.</summary>
public class MpuPermissionMatrixTests
{
    private const FaultReason Denied = FaultReason.AccessDenied;
    private const FaultReason Sup = FaultReason.Supervisor;
    private const FaultReason RO = FaultReason.ReadOnly;
    private const FaultReason NX = FaultReason.NoExecute;

    // access, privileged, kind, XN, expected (null = allowed). Written out in full on purpose: this is the spec.
    public static TheoryData<MpuAccess, bool, AccessKind, bool, FaultReason?> Matrix => new()
    {
        // None: nobody may touch it.
        { MpuAccess.None, true, AccessKind.Read, false, Denied },
        { MpuAccess.None, true, AccessKind.Write, false, Denied },
        { MpuAccess.None, true, AccessKind.Execute, false, Denied },
        { MpuAccess.None, false, AccessKind.Read, false, Denied },
        { MpuAccess.None, false, AccessKind.Write, false, Denied },
        { MpuAccess.None, false, AccessKind.Execute, false, Denied },
        { MpuAccess.None, false, AccessKind.Execute, true, Denied },
        // Privileged RW, user none.
        { MpuAccess.PrivilegedReadWrite, true, AccessKind.Read, false, null },
        { MpuAccess.PrivilegedReadWrite, true, AccessKind.Write, false, null },
        { MpuAccess.PrivilegedReadWrite, true, AccessKind.Execute, false, null },
        { MpuAccess.PrivilegedReadWrite, true, AccessKind.Execute, true, NX },
        { MpuAccess.PrivilegedReadWrite, false, AccessKind.Read, false, Sup },
        { MpuAccess.PrivilegedReadWrite, false, AccessKind.Write, false, Sup },
        { MpuAccess.PrivilegedReadWrite, false, AccessKind.Execute, false, Sup },
        { MpuAccess.PrivilegedReadWrite, false, AccessKind.Execute, true, Sup },
        // Privileged RW, user RO (ARMv7-M only).
        { MpuAccess.PrivilegedReadWriteUserReadOnly, true, AccessKind.Read, false, null },
        { MpuAccess.PrivilegedReadWriteUserReadOnly, true, AccessKind.Write, false, null },
        { MpuAccess.PrivilegedReadWriteUserReadOnly, true, AccessKind.Execute, false, null },
        { MpuAccess.PrivilegedReadWriteUserReadOnly, false, AccessKind.Read, false, null },
        { MpuAccess.PrivilegedReadWriteUserReadOnly, false, AccessKind.Write, false, RO },
        { MpuAccess.PrivilegedReadWriteUserReadOnly, false, AccessKind.Execute, false, null },
        { MpuAccess.PrivilegedReadWriteUserReadOnly, false, AccessKind.Execute, true, NX },
        // RW for everyone.
        { MpuAccess.ReadWrite, true, AccessKind.Read, false, null },
        { MpuAccess.ReadWrite, true, AccessKind.Write, false, null },
        { MpuAccess.ReadWrite, true, AccessKind.Execute, false, null },
        { MpuAccess.ReadWrite, true, AccessKind.Execute, true, NX },
        { MpuAccess.ReadWrite, false, AccessKind.Read, false, null },
        { MpuAccess.ReadWrite, false, AccessKind.Write, false, null },
        { MpuAccess.ReadWrite, false, AccessKind.Write, true, null },
        { MpuAccess.ReadWrite, false, AccessKind.Execute, false, null },
        { MpuAccess.ReadWrite, false, AccessKind.Execute, true, NX },
        // Privileged RO, user none.
        { MpuAccess.PrivilegedReadOnly, true, AccessKind.Read, false, null },
        { MpuAccess.PrivilegedReadOnly, true, AccessKind.Write, false, RO },
        { MpuAccess.PrivilegedReadOnly, true, AccessKind.Execute, false, null },
        { MpuAccess.PrivilegedReadOnly, true, AccessKind.Execute, true, NX },
        { MpuAccess.PrivilegedReadOnly, false, AccessKind.Read, false, Sup },
        { MpuAccess.PrivilegedReadOnly, false, AccessKind.Write, false, Sup },
        { MpuAccess.PrivilegedReadOnly, false, AccessKind.Execute, false, Sup },
        // RO for everyone.
        { MpuAccess.ReadOnly, true, AccessKind.Read, false, null },
        { MpuAccess.ReadOnly, true, AccessKind.Write, false, RO },
        { MpuAccess.ReadOnly, true, AccessKind.Execute, false, null },
        { MpuAccess.ReadOnly, true, AccessKind.Execute, true, NX },
        { MpuAccess.ReadOnly, false, AccessKind.Read, false, null },
        { MpuAccess.ReadOnly, false, AccessKind.Read, true, null },
        { MpuAccess.ReadOnly, false, AccessKind.Write, false, RO },
        { MpuAccess.ReadOnly, false, AccessKind.Execute, false, null },
        { MpuAccess.ReadOnly, false, AccessKind.Execute, true, NX },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void ArmV7(MpuAccess access, bool privileged, AccessKind kind, bool xn, FaultReason? expected)
    {
        var mpu = new ArmV7Mpu(8);
        mpu.ProgramRegion(0, 0x2000_0000, 0x1000, access, xn).ShouldBe(MpuError.None);
        AssertDecision(mpu, privileged, kind, expected);
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void ArmV8(MpuAccess access, bool privileged, AccessKind kind, bool xn, FaultReason? expected)
    {
        var mpu = new ArmV8Mpu(8);
        var error = mpu.ProgramRegion(0, 0x2000_0000, 0x1000, access, xn);
        if (access is MpuAccess.None or MpuAccess.PrivilegedReadWriteUserReadOnly)
        {
            error.ShouldBe(MpuError.UnsupportedAccess);
            return;
        }
        error.ShouldBe(MpuError.None);
        AssertDecision(mpu, privileged, kind, expected);
    }

    private static void AssertDecision(MpuBase mpu, bool privileged, AccessKind kind, FaultReason? expected)
    {
        var fault = mpu.Check(0x2000_0100, 8, kind, privileged);
        if (expected is null)
            fault.ShouldBeNull();
        else
            fault.ShouldBe(new MemoryFault(0x2000_0100, kind, expected.Value));
    }
}
