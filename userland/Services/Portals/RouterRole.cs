namespace MicroKernel.Userland.Services.Portals;

/// <summary>What a router of a node is for its route (docs/portals.md#routers).</summary>
internal enum RouterRole : byte
{
    /// <summary>A portal the application holds: parcels are put here and read here.</summary>
    Endpoint,
    /// <summary>Where a portal was before it was sent away: forwards in both directions until it is bypassed.</summary>
    Proxy,
    /// <summary>An endpoint the application closed: drops parcels, still takes part in bypasses around it.</summary>
    Closed,
    /// <summary>Bypassed or broken: registered nowhere any more.</summary>
    Gone,
}
