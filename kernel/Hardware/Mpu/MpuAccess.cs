namespace MicroKernel.Hardware.Mpu;

/// <summary>
/// Access permissions of an MPU region, for privileged (kernel) and unprivileged (user) code.
/// ARMv7-M encodes all of them in AP[2:0]; ARMv8-M only has the four with equal or no user access
/// plus privileged-only variants.
/// </summary>
public enum MpuAccess : byte
{
    /// <summary>No access for anyone (ARMv7-M AP=000).</summary>
    None,
    /// <summary>Privileged read/write, user none (ARMv7-M AP=001, ARMv8-M AP=00).</summary>
    PrivilegedReadWrite,
    /// <summary>Privileged read/write, user read-only (ARMv7-M AP=010; not encodable on ARMv8-M).</summary>
    PrivilegedReadWriteUserReadOnly,
    /// <summary>Read/write for both (ARMv7-M AP=011, ARMv8-M AP=01).</summary>
    ReadWrite,
    /// <summary>Privileged read-only, user none (ARMv7-M AP=101, ARMv8-M AP=10).</summary>
    PrivilegedReadOnly,
    /// <summary>Read-only for both (ARMv7-M AP=110 or 111, ARMv8-M AP=11).</summary>
    ReadOnly,
}
