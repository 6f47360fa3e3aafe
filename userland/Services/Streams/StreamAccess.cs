namespace MicroKernel.Userland.Services.Streams;

/// <summary>How a block touches a packet's buffer (an element attribute of the setup phase).</summary>
[Flags]
public enum StreamAccess
{
    /// <summary>It never touches the bytes (it only forwards the packet).</summary>
    None = 0,

    /// <summary>It reads the payload.</summary>
    Read = 1,

    /// <summary>It writes the payload in place (a producer, or a consumer that edits the frame).</summary>
    Write = 2,

    /// <summary>
    /// It reads and needs that nobody else writes the buffer while it holds the packet: irreconcilable with a
    /// consumer that writes in place on the same packets.
    /// </summary>
    ReadStable = 4,
}
