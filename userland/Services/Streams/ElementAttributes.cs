namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// What one block declares in the setup phase: the buffer size range it can handle, the alignment it needs, how it
/// touches the buffer and how it wants to be synchronized. <see cref="StreamSetup.Reconcile"/> turns a set of these
/// into one <see cref="PacketLayout"/>.
/// </summary>
/// <param name="Owner">The block's name, used in setup errors.</param>
/// <param name="MinBufferSize">The smallest buffer it accepts (bytes).</param>
/// <param name="MaxBufferSize">The largest buffer it can handle (bytes).</param>
/// <param name="Alignment">The buffer alignment it needs (a power of two).</param>
/// <param name="Access">How it touches the bytes.</param>
/// <param name="Sync">How it wants to learn a packet is ready.</param>
public sealed record ElementAttributes(string Owner, ulong MinBufferSize, ulong MaxBufferSize, ulong Alignment, StreamAccess Access, SyncRequirement Sync = SyncRequirement.None)
{
    /// <summary>
    /// The subset that makes sense on the other side of a memory boundary: the sizes and the alignment travel; the
    /// access needs are replaced by those of the copy (the boundary destination writes each payload into a fresh
    /// packet, the source reads the original); sync requirements stay home (each side makes its own sync objects).
    /// </summary>
    public ElementAttributes ExportAcrossBoundary(string boundaryName) =>
        new(boundaryName, MinBufferSize, MaxBufferSize, Alignment, StreamAccess.Read, SyncRequirement.None);
}
