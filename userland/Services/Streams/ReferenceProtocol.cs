using System.Globalization;

namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// How a pool is shared by reference with another process of the same memory domain: the pool lives in an unsafe
/// segment (read/write for both, docs/shmem.md) that starts with this header, then the buffers. The header holds the
/// layout (so the other side can attach with nothing else), the stream's state, and two descriptor rings: published
/// (producer to consumer: which buffer holds the next packet) and released (consumer to producer: which buffers it is
/// done with). The segment is sent once, with <see cref="Attach"/>, so that the consumer's segment handler learns
/// where it is mapped on its side; then only descriptors move, through the rings and a notification each side makes.
/// The end is a handshake, because the segment goes when either side destroys it or exits and the other must not be
/// reading it then: the producer publishes <see cref="Ended"/>; the consumer releases what it holds, then puts
/// <see cref="Detached"/> in the released ring and never touches the segment again; the producer, once it reclaimed
/// that, destroys the segment (the pool's frames are freed), which the consumer learns by a failing shm_address.
/// </summary>
public static class ReferenceProtocol
{
    /// <summary>Producer to consumer, once: the shared pool's segment (unsafe: nothing flips, both keep access).</summary>
    public const ulong Attach = 0x5310;

    /// <summary>The stream's state word: packets are flowing.</summary>
    public const ulong Streaming = 0;

    /// <summary>The stream's state word: no packet will be published any more.</summary>
    public const ulong Ended = 1;

    /// <summary>
    /// The index the consumer puts in the released ring last, after every buffer it held (<see
    /// cref="ReferenceDestination.Finish"/>): it will not touch the segment again, so the producer may destroy it.
    /// </summary>
    public const ulong Detached = ulong.MaxValue;

    /// <summary>Header words: packet count, stride, buffer size, alignment, state.</summary>
    internal const ulong CountOffset = 0, StrideOffset = 8, BufferSizeOffset = 16, AlignmentOffset = 24, StateOffset = 32;

    /// <summary>Where the published ring starts (the released ring follows it).</summary>
    internal const ulong RingsOffset = 64;

    /// <summary>The released ring's slots: one a packet, and one for <see cref="Detached"/>.</summary>
    internal static int ReleasedCapacity(int count) => count + 1;

    /// <summary>Where the released ring of a pool of <paramref name="count"/> packets starts.</summary>
    internal static ulong ReleasedOffset(int count) => RingsOffset + DescriptorRing.Bytes(count);

    /// <summary>The header's size for <paramref name="count"/> packets: the buffers start there, aligned to the layout.</summary>
    public static ulong HeaderSize(int count, ulong alignment)
    {
        ulong end = ReleasedOffset(count) + DescriptorRing.Bytes(ReleasedCapacity(count));
        ulong align = Math.Max(alignment, 64);
        return (end + align - 1) / align * align;
    }

    /// <summary>The consumer's notification, which the producer signals after publishing (named by the segment).</summary>
    internal static string PublishedName(int segment) => string.Create(CultureInfo.InvariantCulture, $"stream-pool-{segment}-published");

    /// <summary>The producer's notification, which the consumer signals after releasing (named by the segment).</summary>
    internal static string ReleasedName(int segment) => string.Create(CultureInfo.InvariantCulture, $"stream-pool-{segment}-released");
}
