namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// What a key of a link leads to in this node: a router, and whether the hop is (or was, while it drains) the
/// router's outward hop (toward the other side of the route) or its inward one (toward the end it relays for).
/// A message that arrives on an outward hop travels inward, and the other way round.
/// </summary>
internal readonly record struct HopEnd(Router Router, bool Outward);
