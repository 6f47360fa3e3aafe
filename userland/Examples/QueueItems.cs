using System.Buffers.Binary;
using System.Globalization;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// The 16-byte items of the queue examples: producer index, sequence number and a check word, so a consumer sees
/// corruption; producer <see cref="EndMarker"/> tells a consumer to stop.
/// </summary>
internal static class QueueItems
{
    public const int Size = 16;
    public const uint EndMarker = uint.MaxValue;
    public const ulong TallyType = 0x52;

    /// <summary>Bytes of a tally page before its bitmap: received, duplicates, corrupt.</summary>
    public const int TallyHeader = 24;

    public static byte[] Make(uint producer, uint seq)
    {
        var b = new byte[Size];
        BinaryPrimitives.WriteUInt32LittleEndian(b, producer);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), Check(producer, seq));
        return b;
    }

    public static (uint Producer, uint Seq, bool Intact) Parse(ReadOnlySpan<byte> b)
    {
        uint p = BinaryPrimitives.ReadUInt32LittleEndian(b), s = BinaryPrimitives.ReadUInt32LittleEndian(b[4..]);
        return (p, s, BinaryPrimitives.ReadUInt64LittleEndian(b[8..]) == Check(p, s));
    }

    public static string Queue(Sys sys, int index) => sys.Args.Count > index ? sys.Args[index] : "queue";

    public static int Int(Sys sys, int index, int fallback) =>
        sys.Args.Count > index ? int.Parse(sys.Args[index], CultureInfo.InvariantCulture) : fallback;

    private static ulong Check(uint producer, uint seq) => ((ulong)producer * 0x9E3779B97F4A7C15UL) ^ ((ulong)seq * 0xC2B2AE3D27D4EB4FUL) ^ 0x5EED;
}
