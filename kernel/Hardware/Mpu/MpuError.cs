namespace MicroKernel.Hardware.Mpu;

/// <summary>Why an MPU region could not be programmed. Each value has a message in <see cref="MpuErrors"/>.</summary>
public enum MpuError : byte
{
    /// <summary>Programmed as asked.</summary>
    None,
    /// <summary>The region number is not below the MPU's region count.</summary>
    RegionNumberOutOfRange,
    /// <summary>ARMv7-M: the size is not a power of two.</summary>
    SizeNotPowerOfTwo,
    /// <summary>The size is below the architecture's minimum (32 bytes).</summary>
    SizeTooSmall,
    /// <summary>ARMv7-M: the base is not aligned to the region size; ARMv8-M: not aligned to 32 bytes.</summary>
    BaseNotAligned,
    /// <summary>ARMv8-M: the size is not a multiple of 32 bytes.</summary>
    SizeNotGranular,
    /// <summary>ARMv7-M: sub-region disable bits on a region smaller than 256 bytes.</summary>
    SubregionsNeed256Bytes,
    /// <summary>The region does not fit in the 32-bit address space.</summary>
    AddressOutOfRange,
    /// <summary>The permission combination cannot be encoded by this MPU model.</summary>
    UnsupportedAccess,
}

/// <summary>Messages for <see cref="MpuError"/>.</summary>
public static class MpuErrors
{
    /// <summary>A sentence explaining the error to a student.</summary>
    public static string Message(this MpuError error) => error switch
    {
        MpuError.None => "ok",
        MpuError.RegionNumberOutOfRange => "region number is not below the MPU's region count",
        MpuError.SizeNotPowerOfTwo => "ARMv7-M region size must be a power of two",
        MpuError.SizeTooSmall => "region size is below the 32-byte minimum",
        MpuError.BaseNotAligned => "region base is not aligned (ARMv7-M: to its size; ARMv8-M: to 32 bytes)",
        MpuError.SizeNotGranular => "ARMv8-M region size must be a multiple of 32 bytes",
        MpuError.SubregionsNeed256Bytes => "ARMv7-M sub-regions exist only in regions of 256 bytes or more",
        MpuError.AddressOutOfRange => "region does not fit in the 32-bit address space",
        MpuError.UnsupportedAccess => "this MPU model cannot encode that access permission",
        _ => error.ToString(),
    };
}
