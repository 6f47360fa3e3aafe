namespace MicroKernel.Userland.Services.Streams;

/// <summary>The one packet layout a pool uses after the setup phase reconciled every block's attributes.</summary>
/// <param name="BufferSize">Bytes of payload per packet (the largest minimum asked for).</param>
/// <param name="Alignment">Alignment of every buffer (the largest asked for).</param>
/// <param name="Access">The union of the access needs.</param>
/// <param name="Sync">The union of the sync requirements (of this side only).</param>
public sealed record PacketLayout(ulong BufferSize, ulong Alignment, StreamAccess Access, SyncRequirement Sync)
{
    /// <summary>The distance between two buffers in the pool: the size rounded up to the alignment.</summary>
    public ulong Stride => (BufferSize + Alignment - 1) / Alignment * Alignment;
}
