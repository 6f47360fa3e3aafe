namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// One hop of a route as the router at this end holds it: the link it crosses (a pool to another node, or this
/// node's loopback), the key the router at the far end registered it under (messages are sent with it), and the key
/// this end registered it under (messages arrive with it). Across a pool both keys are the same number.
/// </summary>
internal sealed record Hop(NodeLink Link, ulong SendKey, ulong RecvKey)
{
    /// <summary>The pid of the node at the far end of the hop.</summary>
    public int PeerPid => Link.PeerPid;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"pid {PeerPid} key {SendKey}");
}
