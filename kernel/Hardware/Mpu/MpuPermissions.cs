namespace MicroKernel.Hardware.Mpu;

/// <summary>
/// What one region's access permissions (AP) and execute-never bit (XN) allow. The rule is the same on ARMv7-M
/// and ARMv8-M; only the register encodings differ, and those live in the two models.
/// </summary>
internal static class MpuPermissions
{
    /// <summary>True when code at this privilege level may load from the region.</summary>
    public static bool CanRead(MpuAccess access, bool privileged) => access switch
    {
        MpuAccess.None => false,
        MpuAccess.PrivilegedReadWrite or MpuAccess.PrivilegedReadOnly => privileged,
        MpuAccess.PrivilegedReadWriteUserReadOnly or MpuAccess.ReadWrite or MpuAccess.ReadOnly => true,
        _ => false,
    };

    /// <summary>True when code at this privilege level may store to the region.</summary>
    public static bool CanWrite(MpuAccess access, bool privileged) => access switch
    {
        MpuAccess.ReadWrite => true,
        MpuAccess.PrivilegedReadWrite or MpuAccess.PrivilegedReadWriteUserReadOnly => privileged,
        _ => false,
    };

    /// <summary>
    /// Null when the access is allowed, else why not. An instruction fetch needs read permission and XN clear;
    /// the permission check comes first, so a user fetch from a privileged-only XN region reports Supervisor.
    /// </summary>
    public static FaultReason? Decide(MpuAccess access, bool executeNever, AccessKind kind, bool privileged)
    {
        // No region grants write without read, so "cannot read" means "cannot touch it at all".
        if (!CanRead(access, privileged))
            return access == MpuAccess.None ? FaultReason.AccessDenied : FaultReason.Supervisor;

        return kind switch
        {
            AccessKind.Read => null,
            AccessKind.Write => CanWrite(access, privileged) ? null : FaultReason.ReadOnly,
            AccessKind.Execute => executeNever ? FaultReason.NoExecute : null,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown access kind"),
        };
    }
}
