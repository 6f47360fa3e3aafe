using System.Buffers.Binary;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// CRC-32 (IEEE 802.3, the zip/PNG one), guarding each block of a trace file: any burst of up to 32 flipped bits is
/// always detected, so a damaged trace is refused with the offset of the bad block instead of replayed wrongly.
/// Computed "slicing by 8" (eight tables, eight bytes a step) rather than a byte at a time: recording checksums every
/// byte it writes, and the byte-at-a-time loop cost more than encoding the events.
/// </summary>
internal static class Crc32
{
    /// <summary>The running value before any byte (pass it to <see cref="Append"/>).</summary>
    public const uint Start = 0xFFFFFFFFu;

    // Table k (at k * 256) gives the CRC contribution of a byte followed by k zero bytes; table 0 is the classic one.
    private static readonly uint[] Tables = BuildTables();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    /// <summary>Continues a running CRC over <paramref name="data"/> (no allocation: records are checked piecewise).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<uint> t = Tables;
        while (data.Length >= 8)
        {
            uint one = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint two = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (int)(one & 0xFF)] ^ t[(6 * 256) + (int)((one >> 8) & 0xFF)]
                ^ t[(5 * 256) + (int)((one >> 16) & 0xFF)] ^ t[(4 * 256) + (int)(one >> 24)]
                ^ t[(3 * 256) + (int)(two & 0xFF)] ^ t[(2 * 256) + (int)((two >> 8) & 0xFF)]
                ^ t[256 + (int)((two >> 16) & 0xFF)] ^ t[(int)(two >> 24)];
            data = data[8..];
        }
        foreach (byte b in data) crc = t[(int)((crc ^ b) & 0xFF)] ^ (crc >> 8);
        return crc;
    }

    /// <summary>The CRC-32 of everything appended to a running value.</summary>
    public static uint Finish(uint crc) => ~crc;

    private static uint[] BuildTables()
    {
        var table = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int n = 0; n < 256; n++)
            {
                uint previous = table[((k - 1) * 256) + n];
                table[(k * 256) + n] = (previous >> 8) ^ table[(int)(previous & 0xFF)];
            }
        return table;
    }
}
