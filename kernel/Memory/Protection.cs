namespace MicroKernel.Memory;

/// <summary>Protection bits of a user mapping, as in the map/protect syscalls (POSIX PROT_* values).</summary>
[Flags]
public enum Protection : byte
{
    /// <summary>No access at all (a guard page).</summary>
    None = 0,
    /// <summary>Loads allowed.</summary>
    Read = 1,
    /// <summary>Stores allowed (implies read on x86 and in MPU encodings).</summary>
    Write = 2,
    /// <summary>Instruction fetches allowed.</summary>
    Execute = 4,
    /// <summary>Read and write.</summary>
    ReadWrite = Read | Write,
}

/// <summary>Helpers for <see cref="Protection"/>.</summary>
public static class ProtectionExtensions
{
    /// <summary>All defined bits.</summary>
    public const Protection All = Protection.Read | Protection.Write | Protection.Execute;

    /// <summary>"rwx"-style text as in /proc/PID/maps.</summary>
    public static string ToRwx(this Protection p) =>
        string.Concat((p & Protection.Read) != 0 ? "r" : "-", (p & Protection.Write) != 0 ? "w" : "-", (p & Protection.Execute) != 0 ? "x" : "-");
}
