namespace MicroKernel.Sim.Tracing;

/// <summary>
/// CRC-32 (IEEE 802.3, the zip/PNG one), guarding each block of a trace file: any burst of up to 32 flipped bits is
/// always detected, so a damaged trace is refused with the offset of the bad block instead of replayed wrongly.
/// Computed by System.IO.Hashing, which uses the CPU's carry-less multiply (about 20x faster than the classic
/// byte-at-a-time table loop): recording checksums every byte it writes, and the table loop cost about as much as
/// encoding a null syscall's two events (docs/benchmarks.md, "Cheap events").
/// </summary>
internal static class Crc32
{
    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(data);

    /// <summary>
    /// The CRC-32 of <paramref name="fields"/> followed by <paramref name="payload"/>, through
    /// <paramref name="crc"/> (reset first; pass one the caller reuses so that nothing is allocated per record).
    /// </summary>
    public static uint Compute(System.IO.Hashing.Crc32 crc, ReadOnlySpan<byte> fields, ReadOnlySpan<byte> payload)
    {
        crc.Reset();
        crc.Append(fields);
        crc.Append(payload);
        return crc.GetCurrentHashAsUInt32();
    }
}
