namespace MicroKernel.Userland.Services.Portals;

/// <summary>What <see cref="Node.Put"/> and <see cref="Node.Get"/> answer.</summary>
public enum PortalResult
{
    /// <summary>Done: the parcel was sent, or one was read.</summary>
    Ok,
    /// <summary>Get: no parcel yet (the peer is open).</summary>
    Empty,
    /// <summary>
    /// The peer portal is closed and every parcel it sent has been read, or the route broke (a node on it died):
    /// nothing more will come, and a Put goes nowhere.
    /// </summary>
    PeerClosed,
    /// <summary>Put: the pool toward the next node is full and enough is held back; pump or wait, then retry.</summary>
    PoolFull,
    /// <summary>Put: more than <see cref="PortalsProtocol.MaxParcelBytes"/> bytes (refused; docs/portals.md).</summary>
    TooLarge,
}
