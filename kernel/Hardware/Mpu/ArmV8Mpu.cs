using System.Globalization;
using System.Text;

namespace MicroKernel.Hardware.Mpu;

/// <summary>
/// The ARMv8-M MPU (Armv8-M Architecture Reference Manual, "Protected Memory System Architecture, PMSAv8", and the
/// MPU_RBAR / MPU_RLAR register descriptions). A region is any range [base, limit] at 32-byte granularity: no
/// power-of-two rule and no sub-regions. Regions must not overlap: an address covered by two or more enabled
/// regions faults with <see cref="FaultReason.RegionOverlap"/>, for privileged code as well.
/// <para>
/// The state is exactly the two registers per region, MPU_RBAR and MPU_RLAR; <see cref="ProgramRegion"/> just
/// encodes them, so students can compare the friendly call with <see cref="WriteRegister"/>.
/// </para>
/// <para>
/// No match: user code faults with <see cref="FaultReason.NoRegion"/>; privileged code gets the
/// <see cref="DefaultMemoryMap"/> (its execute-never areas, the privileged-only PPB) when MPU_CTRL.PRIVDEFENA is set
/// (<see cref="Mpu.PrivilegedDefaultMap"/>), and faults with NoRegion when it is clear. With MPU_CTRL.ENABLE clear
/// (<see cref="Mpu.Enabled"/>) the regions are ignored and the default map decides every access. Memory attributes
/// are stored and read back but have no effect.
/// </para>
/// Not thread-safe: one MPU belongs to one simulated CPU, which runs one thread at a time.
/// </summary>
public sealed class ArmV8Mpu : Mpu
{
    private const uint AddressMask = 0xFFFF_FFE0; // BASE and LIMIT are bits [31:5]
    private const uint Granule = 32;

    // MPU_RBAR: BASE [31:5], SH [4:3], AP [2:1], XN [0].
    private const uint RbarExecuteNever = 1u << 0;
    private const int RbarApShift = 1;
    private const uint RbarApMask = 0x3;

    // MPU_RLAR: LIMIT [31:5], AttrIndx [3:1], EN [0]. Bit 4 (PXN in Armv8.1-M) is not modelled and reads as 0.
    private const uint RlarEnable = 1u << 0;
    private const uint RlarImplementedBits = AddressMask | 0x7u << 1 | RlarEnable;

    private readonly uint[] _rbar;
    private readonly uint[] _rlar;
    private readonly MpuAddressMap _map = new();
    private readonly MpuAddressMap.Piece[] _pieces; // the map's input, reused at each rebuild
    private bool _mapStale = true; // set by a change; the map is rebuilt at the next Check

    /// <summary>Creates an MPU with every region disabled.</summary>
    /// <param name="regionCount">8 or 16, as ARMv8-M implementations offer.</param>
    /// <exception cref="ArgumentOutOfRangeException">The count is neither 8 nor 16 (a configuration error).</exception>
    public ArmV8Mpu(int regionCount)
    {
        if (regionCount is not (8 or 16))
            throw new ArgumentOutOfRangeException(nameof(regionCount), regionCount, "an ARMv8-M MPU has 8 or 16 regions");
        _rbar = new uint[regionCount];
        _rlar = new uint[regionCount];
        _pieces = new MpuAddressMap.Piece[regionCount];
    }

    /// <inheritdoc />
    public override int RegionCount => _rlar.Length;

    /// <inheritdoc />
    public override string ModelName => "ARMv8-M PMSA";

    /// <summary>
    /// Programs region <paramref name="number"/> to cover [<paramref name="baseAddress"/>, <paramref name="baseAddress"/>
    /// + <paramref name="size"/>). Base and size must be multiples of 32 bytes. On error nothing changes.
    /// Programming a region that overlaps another enabled one is accepted, as on hardware; accesses to the
    /// overlap then fault.
    /// </summary>
    /// <returns>
    /// <see cref="MpuError.None"/>, or the first problem found in this order: region number, size below 32
    /// (<see cref="MpuError.SizeTooSmall"/>), size not a multiple of 32 (<see cref="MpuError.SizeNotGranular"/>),
    /// region beyond 2^32 (<see cref="MpuError.AddressOutOfRange"/>), base not a multiple of 32, and
    /// <see cref="MpuError.UnsupportedAccess"/> for <see cref="MpuAccess.None"/> and
    /// <see cref="MpuAccess.PrivilegedReadWriteUserReadOnly"/>, which RBAR.AP cannot express.
    /// </returns>
    public override MpuError ProgramRegion(int number, ulong baseAddress, ulong size, MpuAccess access, bool executeNever)
    {
        if ((uint)number >= (uint)RegionCount)
            return MpuError.RegionNumberOutOfRange;
        if (size < Granule)
            return MpuError.SizeTooSmall;
        if (size % Granule != 0)
            return MpuError.SizeNotGranular;
        if (baseAddress >= MpuAddressMap.AddressSpaceEnd || size > MpuAddressMap.AddressSpaceEnd - baseAddress)
            return MpuError.AddressOutOfRange;
        if (baseAddress % Granule != 0)
            return MpuError.BaseNotAligned;
        if (!TryEncodeAccess(access, out uint ap))
            return MpuError.UnsupportedAccess;

        uint rbar = (uint)baseAddress | ap << RbarApShift | (executeNever ? RbarExecuteNever : 0);
        uint rlar = ((uint)(baseAddress + size - 1) & AddressMask) | RlarEnable;
        return WriteRegister(number, rbar, rlar);
    }

    /// <summary>
    /// Writes MPU_RBAR and MPU_RLAR of region <paramref name="number"/>, as privileged code would after selecting
    /// the region in MPU_RNR (here the <paramref name="number"/> argument plays MPU_RNR). On error nothing changes.
    /// <para>
    /// RBAR: BASE bits [31:5] (the region starts at BASE:00000), SH bits [4:3] (kept, no effect), AP bits [2:1]
    /// (00 privileged RW, 01 RW for all, 10 privileged RO, 11 RO for all; no user access in the privileged
    /// encodings), XN bit 0. RLAR: LIMIT bits [31:5] (the region ends at LIMIT:11111, inclusive), AttrIndx
    /// bits [3:1] (kept, no effect), EN bit 0; other bits are dropped.
    /// </para>
    /// <para>
    /// Any write is accepted and stored as is, as on hardware. An enabled region whose LIMIT field is below its BASE
    /// field matches no address at all (Armv8-M ARM, MPU_RLAR: the region is [BASE:00000, LIMIT:11111]; with LIMIT &lt;
    /// BASE that set is empty); <see cref="Describe"/> shows it as EMPTY. With <see cref="RejectLimitBelowBase"/> set,
    /// such a write is refused with <see cref="MpuError.SizeTooSmall"/> instead.
    /// </para>
    /// </summary>
    public MpuError WriteRegister(int number, uint rbar, uint rlar)
    {
        if ((uint)number >= (uint)RegionCount)
            return MpuError.RegionNumberOutOfRange;

        rlar &= RlarImplementedBits;
        if (RejectLimitBelowBase && (rlar & RlarEnable) != 0 && (rlar & AddressMask) < (rbar & AddressMask))
            return MpuError.SizeTooSmall;

        _rbar[number] = rbar;
        _rlar[number] = rlar;
        _mapStale = true;
        Changes?.Mark(Invariants.CheckedState.Spaces);
        return MpuError.None;
    }

    /// <summary>
    /// Off by default (the hardware's rule: an enabled region with LIMIT &lt; BASE is stored and matches nothing, a
    /// silent hole the dump shows as EMPTY; that is the bug a student must learn to see). On: <see cref="WriteRegister"/>
    /// refuses it with SizeTooSmall, a loud error for labs that write the registers by hand. <see cref="ProgramRegion"/>
    /// never produces one (its size is at least 32 bytes).
    /// </summary>
    public bool RejectLimitBelowBase { get; set; }

    /// <summary>Reads back MPU_RBAR and MPU_RLAR of region <paramref name="number"/>; dropped bits read as 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The number is not below <see cref="RegionCount"/>.</exception>
    public (uint Rbar, uint Rlar) ReadRegister(int number)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(number, RegionCount);
        return (_rbar[number], _rlar[number]);
    }

    /// <summary>Clears RLAR.EN of region <paramref name="number"/>; its other fields stay as they were.</summary>
    public override MpuError DisableRegion(int number)
    {
        if ((uint)number >= (uint)RegionCount)
            return MpuError.RegionNumberOutOfRange;
        _rlar[number] &= ~RlarEnable;
        _mapStale = true;
        Changes?.Mark(Invariants.CheckedState.Spaces);
        return MpuError.None;
    }

    /// <summary>Clears RLAR.EN of every region.</summary>
    public override void DisableAll()
    {
        for (int n = 0; n < RegionCount; n++)
            _rlar[n] &= ~RlarEnable;
        _mapStale = true;
        Changes?.Mark(Invariants.CheckedState.Spaces);
    }

    /// <summary>
    /// Checks every byte of the range: a byte covered by exactly one enabled region follows that region's
    /// permissions; by two or more, it faults with <see cref="FaultReason.RegionOverlap"/>; by none, user code
    /// faults with <see cref="FaultReason.NoRegion"/> and privileged code gets the default memory map (PRIVDEFENA set) or faults (clear). Bytes at or above
    /// 2^32, and ranges wrapping past 2^64, fault with <see cref="FaultReason.NoRegion"/> at the first such byte,
    /// for privileged code too. A length of 0 is always allowed.
    /// </summary>
    public override MemoryFault? Check(ulong address, ulong length, AccessKind access, bool privileged) =>
        Enabled
            ? BuiltMap().Check(address, length, access, privileged, PrivilegedDefaultMap)
            : DefaultMemoryMap.Check(address, length, access, privileged);

    /// <summary>
    /// One line per enabled region: number, first-last address, size, access as privileged/user ("RW", "RO",
    /// "--" = none), XN or X, and the other enabled regions it overlaps (accesses there fault).
    /// </summary>
    public override string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{ModelName}, {RegionCount} regions (access = privileged/user; overlapping regions fault)");
        text.AppendLine();
        bool any = false;
        for (int n = 0; n < RegionCount; n++)
        {
            if (Decode(n) is not { } region)
                continue;
            any = true;
            if (region.IsEmpty)
            {
                text.Append(CultureInfo.InvariantCulture, $"r{n,-2}  EMPTY: LIMIT 0x{region.Limit:x8} < BASE 0x{region.Base:x8}, matches nothing");
                text.AppendLine();
                continue;
            }
            text.Append(CultureInfo.InvariantCulture,
                $"r{n,-2}  {MpuText.Range(region.Base, region.Limit)}  {MpuText.Size(region.Limit - region.Base + 1),7}  " +
                $"{MpuText.Access(region.Access)}  {(region.ExecuteNever ? "XN" : "X ")}");
            var overlaps = Enumerable.Range(0, RegionCount)
                .Where(other => other != n && Decode(other) is { IsEmpty: false } o && o.Base <= region.Limit && region.Base <= o.Limit)
                .Select(other => string.Create(CultureInfo.InvariantCulture, $"r{other}"))
                .ToList();
            if (overlaps.Count > 0)
                text.Append("  OVERLAPS ").AppendJoin(',', overlaps);
            text.AppendLine();
        }
        if (!any)
            text.AppendLine("(no region enabled: user code faults everywhere, privileged code uses the default map)");
        return text.ToString();
    }

    /// <summary>The fields of an enabled region, decoded from its registers; <see cref="Limit"/> is inclusive.</summary>
    private readonly record struct Region(ulong Base, ulong Limit, MpuAccess Access, bool ExecuteNever)
    {
        /// <summary>LIMIT below BASE: the region covers no address.</summary>
        public bool IsEmpty => Limit < Base;
    }

    /// <summary>Region <paramref name="n"/> decoded, or null when it is disabled.</summary>
    private Region? Decode(int n)
    {
        uint rbar = _rbar[n], rlar = _rlar[n];
        if ((rlar & RlarEnable) == 0)
            return null;
        return new Region(
            rbar & AddressMask,
            (rlar & AddressMask) | (Granule - 1),
            DecodeAccess((rbar >> RbarApShift) & RbarApMask),
            (rbar & RbarExecuteNever) != 0);
    }

    private MpuAddressMap BuiltMap()
    {
        if (!_mapStale)
            return _map;
        int pieces = 0;
        for (int n = 0; n < RegionCount; n++)
        {
            if (Decode(n) is { IsEmpty: false } r)
                _pieces[pieces++] = new(r.Base, r.Limit + 1, n, r.Access, r.ExecuteNever);
        }
        _map.Rebuild(_pieces.AsSpan(0, pieces), MpuAddressMap.Resolution.OverlapFaults);
        _mapStale = false;
        return _map;
    }

    /// <summary>RBAR.AP for an access; false for the two that PMSAv8 cannot express.</summary>
    private static bool TryEncodeAccess(MpuAccess access, out uint ap)
    {
        ap = access switch
        {
            MpuAccess.PrivilegedReadWrite => 0b00,
            MpuAccess.ReadWrite => 0b01,
            MpuAccess.PrivilegedReadOnly => 0b10,
            MpuAccess.ReadOnly => 0b11,
            _ => uint.MaxValue,
        };
        return ap != uint.MaxValue;
    }

    /// <summary>The access for RBAR.AP; every two-bit value is defined.</summary>
    private static MpuAccess DecodeAccess(uint ap) => ap switch
    {
        0b00 => MpuAccess.PrivilegedReadWrite,
        0b01 => MpuAccess.ReadWrite,
        0b10 => MpuAccess.PrivilegedReadOnly,
        _ => MpuAccess.ReadOnly,
    };
}
