namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// How a block wants to learn that a packet is ready (the seed's synchronization attributes). Sync objects are
/// never exchanged across a memory boundary: each side makes its own, so these are not exported
/// (<see cref="ElementAttributes.ExportAcrossBoundary"/>).
/// </summary>
[Flags]
public enum SyncRequirement
{
    /// <summary>It polls (or runs in the producer's loop).</summary>
    None = 0,

    /// <summary>It sleeps until told (a notification, or its segment handler waking a pause).</summary>
    Wakeup = 1,
}
