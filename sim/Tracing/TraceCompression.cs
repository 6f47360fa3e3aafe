using System.IO.Compression;

namespace MicroKernel.Sim.Tracing;

/// <summary>How a block's payload is stored (the codec byte of its header; docs/trace-format.md).</summary>
internal enum TraceCompression : byte
{
    /// <summary>The encoded events as they are.</summary>
    None = 0,

    /// <summary>Brotli (RFC 7932), quality 1, window 22: the fastest setting, measured for <c>--compress</c>.</summary>
    Brotli = 1,

    /// <summary>zlib (RFC 1950: a deflate stream with its header and Adler-32), the fastest level.</summary>
    ZLib = 2,
}

/// <summary>Compresses and expands block payloads with the codecs .NET ships (System.IO.Compression).</summary>
internal static class BlockCodec
{
    /// <summary>The Brotli quality <c>--compress</c> uses: the measured best of bytes against recording time (docs/trace-format.md).</summary>
    public const int BrotliQuality = 1;

    /// <summary>The Brotli window (log2 of its size).</summary>
    public const int BrotliWindow = 22;

    /// <summary>
    /// Compresses <paramref name="raw"/> into <paramref name="packed"/> (grown when needed); returns the packed length,
    /// or -1 when compression does not make it smaller (the block is then stored as it is).
    /// </summary>
    public static int Compress(TraceCompression codec, ReadOnlySpan<byte> raw, ref byte[] packed)
    {
        if (packed.Length < raw.Length) packed = new byte[raw.Length];
        switch (codec)
        {
            case TraceCompression.Brotli:
                return BrotliEncoder.TryCompress(raw, packed.AsSpan(0, raw.Length), out int written, BrotliQuality, BrotliWindow) && written < raw.Length ? written : -1;
            case TraceCompression.ZLib:
            {
                var buffer = new MemoryStream(packed, 0, packed.Length, writable: true);
                try
                {
                    using (var z = new ZLibStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
                }
                catch (NotSupportedException)
                {
                    return -1; // the output would outgrow the raw block: store it as it is
                }
                return buffer.Position < raw.Length ? (int)buffer.Position : -1;
            }
            default:
                return -1;
        }
    }

    /// <summary>Expands <paramref name="packed"/> into exactly <paramref name="raw"/>; false when the data is not a valid stream of that length.</summary>
    public static bool Expand(TraceCompression codec, ReadOnlySpan<byte> packed, Span<byte> raw)
    {
        switch (codec)
        {
            case TraceCompression.Brotli:
                return BrotliDecoder.TryDecompress(packed, raw, out int written) && written == raw.Length;
            case TraceCompression.ZLib:
            {
                try
                {
                    using var z = new ZLibStream(new MemoryStream(packed.ToArray()), CompressionMode.Decompress);
                    int total = 0;
                    while (total < raw.Length)
                    {
                        int n = z.Read(raw[total..]);
                        if (n == 0) return false;
                        total += n;
                    }
                    return z.Read(new byte[1]) == 0;
                }
                catch (InvalidDataException)
                {
                    return false;
                }
            }
            default:
                return false;
        }
    }
}
