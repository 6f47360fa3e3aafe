namespace MicroKernel.Userland.Services.Portals;

/// <summary>What a trap reports about a portal (<see cref="Node.Status"/>, <see cref="Node.Wait"/>).</summary>
[Flags]
public enum PortalSignals
{
    /// <summary>Nothing to report.</summary>
    None = 0,
    /// <summary>A parcel can be read.</summary>
    ParcelArrived = 1,
    /// <summary>The peer is closed (or the route broken) and nothing is left to read.</summary>
    PeerClosed = 2,
}
