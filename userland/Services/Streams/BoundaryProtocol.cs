namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// What crosses a memory boundary: owned shared-memory segments (docs/shmem.md), each holding one payload behind a
/// 16-byte header (sequence, length). The message type says what the segment carries; ownership moves with it.
/// </summary>
public static class BoundaryProtocol
{
    /// <summary>Source to destination: a payload to copy into a fresh destination packet.</summary>
    public const ulong Deliver = 0x5301;

    /// <summary>Destination to source: the segment comes home, free for the next payload.</summary>
    public const ulong Return = 0x5302;

    /// <summary>Source to destination: the stream ended (no payload).</summary>
    public const ulong End = 0x5303;

    /// <summary>Bytes of header before the payload.</summary>
    public const ulong HeaderSize = 16;
}
