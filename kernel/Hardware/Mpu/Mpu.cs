namespace MicroKernel.Hardware.Mpu;

/// <summary>
/// A memory protection unit: no address translation, a few regions that say who may touch which physical
/// addresses. The kernel re-programs it on every context switch with the regions of the next process.
/// </summary>
public abstract class Mpu
{
    /// <summary>How many regions the unit has (8 or 16).</summary>
    public abstract int RegionCount { get; }

    /// <summary>A short name of the architecture ("ARMv7-M PMSA", "ARMv8-M PMSA").</summary>
    public abstract string ModelName { get; }

    /// <summary>
    /// Programs region <paramref name="number"/> to cover [<paramref name="baseAddress"/>,
    /// <paramref name="baseAddress"/> + <paramref name="size"/>) with the given permissions, or reports why the
    /// hardware cannot hold that region. On error nothing changes.
    /// </summary>
    public abstract MpuError ProgramRegion(int number, ulong baseAddress, ulong size, MpuAccess access, bool executeNever);

    /// <summary>
    /// MPU_CTRL.ENABLE. Clear: the regions are ignored and every access, privileged or not, gets the
    /// <see cref="DefaultMemoryMap"/> (ARMv7-M ARM B3.5.1; Armv8-M ARM B10.2). The reset value is 0; this machine's
    /// kernel sets it at boot, so a new MPU starts enabled.
    /// </summary>
    public bool Enabled
    {
        get => _enabled;
        set { _enabled = value; Changes?.Mark(Invariants.CheckedState.Spaces); }
    }

    private bool _enabled = true;

    /// <summary>
    /// MPU_CTRL.PRIVDEFENA. Set (what the kernel uses): where no region matches, privileged accesses get the
    /// <see cref="DefaultMemoryMap"/> as a background region. Clear: they fault with NoRegion like user accesses, so a
    /// kernel must give itself regions too (the stricter setting some RTOSes pick to catch their own wild pointers).
    /// </summary>
    public bool PrivilegedDefaultMap
    {
        get => _privilegedDefaultMap;
        set { _privilegedDefaultMap = value; Changes?.Mark(Invariants.CheckedState.Spaces); }
    }

    private bool _privilegedDefaultMap = true;

    /// <summary>
    /// Where the MPU marks that its regions changed (mpu-regions re-checks then): every register write marks it. Null
    /// for an MPU alone, as in its own tests.
    /// </summary>
    internal Invariants.StateChanges? Changes { get; init; }

    /// <summary>Disables region <paramref name="number"/>.</summary>
    public abstract MpuError DisableRegion(int number);

    /// <summary>Disables every region.</summary>
    public abstract void DisableAll();

    /// <summary>
    /// Checks that every byte of [<paramref name="address"/>, <paramref name="address"/> + <paramref name="length"/>)
    /// may be accessed. Returns null when allowed, else the fault for the first refused byte.
    /// </summary>
    public abstract MemoryFault? Check(ulong address, ulong length, AccessKind access, bool privileged);

    /// <summary>A table of the enabled regions, one line each, for dumps.</summary>
    public abstract string Describe();
}
