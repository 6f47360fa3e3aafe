namespace MicroKernel.Userland.Services.Portals;

/// <summary>What a message on a link is (the word after its length, docs/portals.md#messages).</summary>
internal enum MessageKind : uint
{
    /// <summary>Ring padding up to the end of the buffer: skipped.</summary>
    Pad = 0,
    /// <summary>A parcel: sequence number, hop count, bytes, portals, segments.</summary>
    Parcel = 1,
    /// <summary>The sending endpoint closed after sending this many parcels.</summary>
    Closed = 2,
    /// <summary>The route is broken behind the sender (a node on it died): the receiver's side breaks too.</summary>
    RouteBroken = 3,
    /// <summary>A proxy asks its central neighbour for the right to bypass itself.</summary>
    LockRequest = 4,
    /// <summary>The central neighbour grants it.</summary>
    LockGranted = 5,
    /// <summary>The proxy holding the lock asks its central neighbour to link to the proxy's inward neighbour.</summary>
    BypassRequest = 6,
    /// <summary>The new central link, sent by the bypassing proxy's outward neighbour to its inward neighbour.</summary>
    BypassWith = 7,
    /// <summary>The last message the sender ever sends through the proxy (it sends directly from now on).</summary>
    StopProxying = 8,
    /// <summary>The proxy forwarded everything it will ever forward on this hop: the receiver forgets the hop.</summary>
    ProxyDone = 9,
    /// <summary>Node level: please introduce me to node N (sent to a node linked to both).</summary>
    NeedIntroduction = 10,
    /// <summary>Node level: make a pool with node N (sent by the broker to the lower pid of the pair).</summary>
    Introduce = 11,
}
