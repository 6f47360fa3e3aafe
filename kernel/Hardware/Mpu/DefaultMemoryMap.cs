namespace MicroKernel.Hardware.Mpu;

/// <summary>
/// The fixed system address map of ARMv7-M and ARMv8-M (ARMv7-M ARM B3.1, table B3-1 "The ARMv7-M address map";
/// Armv8-M ARM B8 "The system address map"): what an access gets where no MPU region decides, either because the
/// MPU is disabled (MPU_CTRL.ENABLE = 0: for every access) or because privileged code falls back to it
/// (MPU_CTRL.PRIVDEFENA = 1). Device and system areas are execute-never; the Private Peripheral Bus (the SCS, NVIC and
/// MPU registers) is privileged-only. Memory types and the bit-band aliases are not modelled.
/// </summary>
public static class DefaultMemoryMap
{
    /// <summary>One area of the map: [Start, End), its name, whether fetches fault, whether user accesses fault.</summary>
    public readonly record struct Area(ulong Start, ulong End, string Name, bool ExecuteNever, bool PrivilegedOnly);

    /// <summary>The areas, in address order, covering the whole 32-bit space.</summary>
    public static IReadOnlyList<Area> Areas { get; } =
    [
        new(0x0000_0000, 0x2000_0000, "Code", ExecuteNever: false, PrivilegedOnly: false),
        new(0x2000_0000, 0x4000_0000, "SRAM", ExecuteNever: false, PrivilegedOnly: false),
        new(0x4000_0000, 0x6000_0000, "Peripheral", ExecuteNever: true, PrivilegedOnly: false),
        new(0x6000_0000, 0xA000_0000, "RAM", ExecuteNever: false, PrivilegedOnly: false),
        new(0xA000_0000, 0xE000_0000, "Device", ExecuteNever: true, PrivilegedOnly: false),
        new(0xE000_0000, 0xE010_0000, "Private Peripheral Bus", ExecuteNever: true, PrivilegedOnly: true),
        new(0xE010_0000, MpuAddressMap.AddressSpaceEnd, "Vendor system", ExecuteNever: true, PrivilegedOnly: false),
    ];

    /// <summary>The area holding <paramref name="address"/> (below 2^32).</summary>
    public static Area AreaOf(ulong address)
    {
        foreach (Area a in Areas)
            if (address < a.End) return a;
        throw new ArgumentOutOfRangeException(nameof(address), "the default map covers the 32-bit space only");
    }

    /// <summary>The map's decision for one access at <paramref name="address"/>: null when allowed.</summary>
    public static FaultReason? Decide(ulong address, AccessKind access, bool privileged)
    {
        Area a = AreaOf(address);
        if (a.PrivilegedOnly && !privileged) return FaultReason.Supervisor;
        if (a.ExecuteNever && access == AccessKind.Execute) return FaultReason.NoExecute;
        return null;
    }

    /// <summary>
    /// Checks [address, address + length) against the map alone (the MPU disabled): the first refused byte, or null.
    /// Bytes at or above 2^32 fault with NoRegion, as with the MPU on.
    /// </summary>
    public static MemoryFault? Check(ulong address, ulong length, AccessKind access, bool privileged)
    {
        if (length == 0) return null;
        ulong last = address + length - 1;
        bool leavesSpace = last < address || last >= MpuAddressMap.AddressSpaceEnd;
        ulong end = leavesSpace ? MpuAddressMap.AddressSpaceEnd : last + 1;
        for (ulong at = address; at < end; at = AreaOf(at).End)
            if (Decide(at, access, privileged) is { } reason) return new MemoryFault(at, access, reason);
        return leavesSpace ? new MemoryFault(Math.Max(address, MpuAddressMap.AddressSpaceEnd), access, FaultReason.NoRegion) : null;
    }
}
