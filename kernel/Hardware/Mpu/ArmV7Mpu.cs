using System.Globalization;
using System.Numerics;
using System.Text;

namespace MicroKernel.Hardware.Mpu;

/// <summary>
/// The ARMv7-M MPU (ARMv7-M Architecture Reference Manual, B3.5 "Protected Memory System Architecture, PMSAv7").
/// Each region is a power-of-two block of at least 32 bytes, aligned to its own size, split into eight equal
/// sub-regions that can be switched off one by one (regions of 256 bytes or more). Regions may overlap: the
/// highest-numbered enabled region that covers an address decides, and a disabled sub-region does not cover
/// anything, so a lower region shows through it.
/// <para>
/// The state is exactly the two registers per region, MPU_RBAR and MPU_RASR; <see cref="ProgramRegion(int, ulong,
/// ulong, byte, MpuAccess, bool)"/> just encodes them, so students can compare the friendly call with
/// <see cref="WriteRegister"/>.
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
public sealed class ArmV7Mpu : Mpu
{
    // MPU_RBAR: ADDR in bits [31:5] (only bits [31:log2(size)] may be set), VALID bit 4, REGION bits [3:0].
    private const uint RbarAddressMask = 0xFFFF_FFE0;

    // MPU_RASR fields.
    private const uint RasrEnable = 1u << 0;
    private const int RasrSizeShift = 1;        // SIZE [5:1]: region size = 2^(SIZE+1)
    private const uint RasrSizeMask = 0x1F;
    private const int RasrSrdShift = 8;         // SRD [15:8]: bit n set = sub-region n disabled
    private const uint RasrAttributeBits = 0x3Fu << 16; // B [16], C [17], S [18], TEX [21:19]
    private const int RasrApShift = 24;         // AP [26:24]
    private const uint RasrApMask = 0x7;
    private const uint RasrExecuteNever = 1u << 28; // XN [28]

    // Bits that exist in MPU_RASR; the reserved ones read as zero.
    private const uint RasrImplementedBits =
        RasrEnable | RasrSizeMask << RasrSizeShift | 0xFFu << RasrSrdShift | RasrAttributeBits
        | RasrApMask << RasrApShift | RasrExecuteNever;

    private const int MinSizeField = 4;         // 2^(4+1) = 32 bytes; smaller SIZE values are UNPREDICTABLE
    private const ulong MinRegionSize = 32;
    private const ulong MinSubregionRegionSize = 256; // sub-regions of a smaller region would be under 32 bytes

    private readonly uint[] _rbar;
    private readonly uint[] _rasr;
    private readonly MpuAddressMap _map = new();
    private readonly MpuAddressMap.Piece[] _pieces; // the map's input, reused at each rebuild
    private bool _mapStale = true; // set by a change; the map is rebuilt at the next Check

    /// <summary>Creates an MPU with every region disabled.</summary>
    /// <param name="regionCount">8 or 16, as ARMv7-M implementations offer.</param>
    /// <exception cref="ArgumentOutOfRangeException">The count is neither 8 nor 16 (a configuration error).</exception>
    public ArmV7Mpu(int regionCount)
    {
        if (regionCount is not (8 or 16))
            throw new ArgumentOutOfRangeException(nameof(regionCount), regionCount, "an ARMv7-M MPU has 8 or 16 regions");
        _rbar = new uint[regionCount];
        _rasr = new uint[regionCount];
        _pieces = new MpuAddressMap.Piece[8 * regionCount]; // at most eight sub-regions a region
    }

    /// <inheritdoc />
    public override int RegionCount => _rasr.Length;

    /// <inheritdoc />
    public override string ModelName => "ARMv7-M PMSA";

    /// <summary>
    /// Programs region <paramref name="number"/> with no sub-region disabled. The size must be a power of two of at
    /// least 32 bytes, and the base a multiple of it. On error nothing changes.
    /// </summary>
    public override MpuError ProgramRegion(int number, ulong baseAddress, ulong size, MpuAccess access, bool executeNever) =>
        ProgramRegion(number, baseAddress, size, subregionDisable: 0, access, executeNever);

    /// <summary>
    /// Programs region <paramref name="number"/> to cover [<paramref name="baseAddress"/>, <paramref name="baseAddress"/>
    /// + <paramref name="size"/>) minus the sub-regions whose bit is set in <paramref name="subregionDisable"/>
    /// (bit n removes the n-th eighth, counting from the base). On error nothing changes.
    /// </summary>
    /// <returns>
    /// <see cref="MpuError.None"/>, or the first problem found in this order: region number, size below 32
    /// (<see cref="MpuError.SizeTooSmall"/>), size not a power of two, region beyond 2^32
    /// (<see cref="MpuError.AddressOutOfRange"/>), base not aligned to the size, sub-regions on a region under
    /// 256 bytes, access not a defined <see cref="MpuAccess"/> value (<see cref="MpuError.UnsupportedAccess"/>).
    /// </returns>
    public MpuError ProgramRegion(int number, ulong baseAddress, ulong size, byte subregionDisable, MpuAccess access, bool executeNever)
    {
        if ((uint)number >= (uint)RegionCount)
            return MpuError.RegionNumberOutOfRange;
        if (size < MinRegionSize)
            return MpuError.SizeTooSmall;
        if (!BitOperations.IsPow2(size))
            return MpuError.SizeNotPowerOfTwo;
        if (baseAddress >= MpuAddressMap.AddressSpaceEnd || size > MpuAddressMap.AddressSpaceEnd - baseAddress)
            return MpuError.AddressOutOfRange;
        if ((baseAddress & (size - 1)) != 0)
            return MpuError.BaseNotAligned;
        if (subregionDisable != 0 && size < MinSubregionRegionSize)
            return MpuError.SubregionsNeed256Bytes;
        if (!TryEncodeAccess(access, out uint ap))
            return MpuError.UnsupportedAccess;

        uint sizeField = (uint)BitOperations.Log2(size) - 1;
        uint rasr = RasrEnable
            | sizeField << RasrSizeShift
            | (uint)subregionDisable << RasrSrdShift
            | ap << RasrApShift
            | (executeNever ? RasrExecuteNever : 0);
        return WriteRegister(number, (uint)baseAddress, rasr);
    }

    /// <summary>
    /// Writes MPU_RBAR and MPU_RASR of region <paramref name="number"/>, as privileged code would after selecting
    /// the region in MPU_RNR (here the <paramref name="number"/> argument plays MPU_RNR). On error nothing changes.
    /// <para>
    /// RBAR: ADDR bits [31:5] give the base. The VALID (bit 4) and REGION (bits [3:0]) fields are ignored: on
    /// hardware VALID = 1 would re-select the region from REGION, which the explicit number makes unnecessary.
    /// RASR: ENABLE bit 0, SIZE bits [5:1] (size 2^(SIZE+1)), SRD bits [15:8], TEX/S/C/B bits [21:16] (kept, no
    /// effect), AP bits [26:24], XN bit 28; reserved bits are dropped.
    /// </para>
    /// <para>
    /// A write with ENABLE = 0 is always accepted and stored as is, because writing RASR = 0 is how software
    /// disables a region. With ENABLE = 1, the cases the manual calls UNPREDICTABLE or that cannot describe a
    /// region are rejected: SIZE &lt; 4 (<see cref="MpuError.SizeTooSmall"/>), SRD on a region under 256 bytes,
    /// a base with bits set below the region size (<see cref="MpuError.BaseNotAligned"/>; hardware would treat
    /// them as reserved), and the reserved AP = 100 (<see cref="MpuError.UnsupportedAccess"/>).
    /// </para>
    /// </summary>
    public MpuError WriteRegister(int number, uint rbar, uint rasr)
    {
        if ((uint)number >= (uint)RegionCount)
            return MpuError.RegionNumberOutOfRange;

        uint baseAddress = rbar & RbarAddressMask;
        rasr &= RasrImplementedBits;
        if ((rasr & RasrEnable) != 0)
        {
            int sizeField = (int)((rasr >> RasrSizeShift) & RasrSizeMask);
            if (sizeField < MinSizeField)
                return MpuError.SizeTooSmall;
            ulong size = 1UL << (sizeField + 1);
            if (SubregionBits(rasr) != 0 && size < MinSubregionRegionSize)
                return MpuError.SubregionsNeed256Bytes;
            if ((baseAddress & (size - 1)) != 0)
                return MpuError.BaseNotAligned;
            if (!TryDecodeAccess((rasr >> RasrApShift) & RasrApMask, out _))
                return MpuError.UnsupportedAccess;
        }

        _rbar[number] = baseAddress;
        _rasr[number] = rasr;
        _mapStale = true;
        Changes?.Mark(Invariants.CheckedState.Spaces);
        return MpuError.None;
    }

    /// <summary>
    /// Reads back MPU_RBAR and MPU_RASR of region <paramref name="number"/>. As on hardware, RBAR.VALID reads as 0
    /// and RBAR.REGION reads as the selected region number; reserved RASR bits read as 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The number is not below <see cref="RegionCount"/>.</exception>
    public (uint Rbar, uint Rasr) ReadRegister(int number)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(number, RegionCount);
        return (_rbar[number] | (uint)number, _rasr[number]);
    }

    /// <summary>Clears RASR.ENABLE of region <paramref name="number"/>; its other fields stay as they were.</summary>
    public override MpuError DisableRegion(int number)
    {
        if ((uint)number >= (uint)RegionCount)
            return MpuError.RegionNumberOutOfRange;
        _rasr[number] &= ~RasrEnable;
        _mapStale = true;
        Changes?.Mark(Invariants.CheckedState.Spaces);
        return MpuError.None;
    }

    /// <summary>Clears RASR.ENABLE of every region.</summary>
    public override void DisableAll()
    {
        for (int n = 0; n < RegionCount; n++)
            _rasr[n] &= ~RasrEnable;
        _mapStale = true;
        Changes?.Mark(Invariants.CheckedState.Spaces);
    }

    /// <summary>
    /// Checks every byte of the range against the regions: the highest-numbered enabled region (and enabled
    /// sub-region) covering a byte decides for it. No match: user code faults with
    /// <see cref="FaultReason.NoRegion"/>, privileged code gets the default memory map (PRIVDEFENA set) or faults (clear). Bytes at or above 2^32, and
    /// ranges wrapping past 2^64, fault with <see cref="FaultReason.NoRegion"/> at the first such byte, for
    /// privileged code too. A length of 0 is always allowed.
    /// </summary>
    public override MemoryFault? Check(ulong address, ulong length, AccessKind access, bool privileged) =>
        Enabled
            ? BuiltMap().Check(address, length, access, privileged, PrivilegedDefaultMap)
            : DefaultMemoryMap.Check(address, length, access, privileged);

    /// <summary>
    /// One line per enabled region: number, first-last address, size, access as privileged/user ("RW", "RO",
    /// "--" = none), XN or X, and the SRD bits (bit 7 on the left; a 1 means that eighth is disabled).
    /// </summary>
    public override string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{ModelName}, {RegionCount} regions (access = privileged/user; srd bit n = 1: n-th eighth off)");
        text.AppendLine();
        bool any = false;
        for (int n = 0; n < RegionCount; n++)
        {
            if (Decode(n) is not { } region)
                continue;
            any = true;
            text.Append(CultureInfo.InvariantCulture,
                $"r{n,-2}  {MpuText.Range(region.Base, region.Base + region.Size - 1)}  {MpuText.Size(region.Size),7}  " +
                $"{MpuText.Access(region.Access)}  {(region.ExecuteNever ? "XN" : "X ")}  srd={Convert.ToString(region.SubregionDisable, 2).PadLeft(8, '0')}");
            text.AppendLine();
        }
        if (!any)
            text.AppendLine("(no region enabled: user code faults everywhere, privileged code uses the default map)");
        return text.ToString();
    }

    /// <summary>The fields of an enabled region, decoded from its registers.</summary>
    private readonly record struct Region(ulong Base, ulong Size, byte SubregionDisable, MpuAccess Access, bool ExecuteNever);

    /// <summary>Region <paramref name="n"/> decoded, or null when it is disabled.</summary>
    private Region? Decode(int n)
    {
        uint rasr = _rasr[n];
        if ((rasr & RasrEnable) == 0)
            return null;
        // WriteRegister rejected every enabled encoding that does not decode, so this cannot fail.
        TryDecodeAccess((rasr >> RasrApShift) & RasrApMask, out var access);
        int sizeField = (int)((rasr >> RasrSizeShift) & RasrSizeMask);
        return new Region(_rbar[n], 1UL << (sizeField + 1), SubregionBits(rasr), access, (rasr & RasrExecuteNever) != 0);
    }

    private static byte SubregionBits(uint rasr) => (byte)(rasr >> RasrSrdShift);

    private MpuAddressMap BuiltMap()
    {
        if (!_mapStale)
            return _map;
        int pieces = 0;
        for (int n = 0; n < RegionCount; n++)
        {
            if (Decode(n) is not { } r)
                continue;
            if (r.SubregionDisable == 0)
            {
                _pieces[pieces++] = new(r.Base, r.Base + r.Size, n, r.Access, r.ExecuteNever);
                continue;
            }
            // Eight equal sub-regions; SRD bit k removes the k-th. A removed one matches nothing at all.
            ulong subregionSize = r.Size / 8;
            for (int k = 0; k < 8; k++)
            {
                if ((r.SubregionDisable & (1 << k)) != 0)
                    continue;
                ulong start = r.Base + (ulong)k * subregionSize;
                _pieces[pieces++] = new(start, start + subregionSize, n, r.Access, r.ExecuteNever);
            }
        }
        _map.Rebuild(_pieces.AsSpan(0, pieces), MpuAddressMap.Resolution.HighestRegionWins);
        _mapStale = false;
        return _map;
    }

    /// <summary>
    /// RASR.AP for an access (PMSAv7 access permission encoding). ReadOnly has two encodings, 110 and 111; this
    /// model writes 110.
    /// </summary>
    private static bool TryEncodeAccess(MpuAccess access, out uint ap)
    {
        ap = access switch
        {
            MpuAccess.None => 0b000,
            MpuAccess.PrivilegedReadWrite => 0b001,
            MpuAccess.PrivilegedReadWriteUserReadOnly => 0b010,
            MpuAccess.ReadWrite => 0b011,
            MpuAccess.PrivilegedReadOnly => 0b101,
            MpuAccess.ReadOnly => 0b110,
            _ => uint.MaxValue,
        };
        return ap != uint.MaxValue;
    }

    /// <summary>The access for RASR.AP; false for the reserved encoding 100.</summary>
    private static bool TryDecodeAccess(uint ap, out MpuAccess access)
    {
        access = ap switch
        {
            0b000 => MpuAccess.None,
            0b001 => MpuAccess.PrivilegedReadWrite,
            0b010 => MpuAccess.PrivilegedReadWriteUserReadOnly,
            0b011 => MpuAccess.ReadWrite,
            0b101 => MpuAccess.PrivilegedReadOnly,
            0b110 or 0b111 => MpuAccess.ReadOnly,
            _ => MpuAccess.None,
        };
        return ap is <= 0b111 and not 0b100;
    }
}
