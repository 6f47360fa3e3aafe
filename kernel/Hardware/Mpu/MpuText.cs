using System.Globalization;

namespace MicroKernel.Hardware.Mpu;

/// <summary>Formatting shared by the <c>Describe()</c> tables of both MPU models.</summary>
internal static class MpuText
{
    /// <summary>"RW/RO": what privileged code / user code may do ("--" = nothing).</summary>
    public static string Access(MpuAccess access)
    {
        static string Level(MpuAccess a, bool privileged) =>
            MpuPermissions.CanWrite(a, privileged) ? "RW" : MpuPermissions.CanRead(a, privileged) ? "RO" : "--";
        return $"{Level(access, privileged: true)}/{Level(access, privileged: false)}";
    }

    /// <summary>"4 KiB", "1 MiB", or "96 B" when the size is not a whole number of KiB.</summary>
    public static string Size(ulong bytes)
    {
        const ulong KiB = 1UL << 10, MiB = 1UL << 20, GiB = 1UL << 30;
        return bytes switch
        {
            >= GiB when bytes % GiB == 0 => Format(bytes / GiB, "GiB"),
            >= MiB when bytes % MiB == 0 => Format(bytes / MiB, "MiB"),
            >= KiB when bytes % KiB == 0 => Format(bytes / KiB, "KiB"),
            _ => Format(bytes, "B"),
        };

        static string Format(ulong n, string unit) => string.Create(CultureInfo.InvariantCulture, $"{n} {unit}");
    }

    /// <summary>"0x20000000-0x20000fff": first and last byte, 8 hex digits (the address space is 32-bit).</summary>
    public static string Range(ulong first, ulong last) =>
        string.Create(CultureInfo.InvariantCulture, $"0x{first:x8}-0x{last:x8}");
}
