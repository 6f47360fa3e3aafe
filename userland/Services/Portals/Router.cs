namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// One node's part of one route (ipcz's Router): an endpoint (the application's portal), or a proxy left where a
/// portal was before it travelled. It holds an outward hop (toward the other side of the route) and, as a proxy, an
/// inward hop (toward the end it now relays for). Exactly one hop of a route is <em>central</em>: the one between
/// its two sides; only a proxy next to it may bypass itself (<see cref="Node"/>'s bypass protocol). This is the
/// node's own bookkeeping: nothing here is seen by another process.
/// </summary>
internal sealed class Router(int id, int side)
{
    /// <summary>The node-local number (the portal's <see cref="Portal.Id"/> while it is an endpoint).</summary>
    public int Id { get; } = id;

    /// <summary>Which side of the route this router belongs to: 0 or 1 (the two portals of a pair differ).</summary>
    public int Side { get; } = side;

    /// <summary>
    /// The route's id, the same in every router of the route (it travels with a portal): for trace marks only
    /// (<see cref="Node.TraceMarks"/>); see <see cref="Node.RouteName"/>.
    /// </summary>
    public ulong RouteId { get; set; }

    /// <summary>What it is now.</summary>
    public RouterRole Role { get; set; }

    /// <summary>The hop toward the other side; null once the route broke.</summary>
    public Hop? Outward { get; set; }

    /// <summary>True when <see cref="Outward"/> is the route's central hop.</summary>
    public bool OutwardCentral { get; set; }

    /// <summary>A proxy's hop toward the portal it relays for.</summary>
    public Hop? Inward { get; set; }

    /// <summary>Old hops replaced by a bypass: still read until the proxy behind them says it is done.</summary>
    public List<Hop> Draining { get; } = [];

    /// <summary>
    /// The outward hop when its proxy's ProxyDone came before the BypassWith that replaces it (the proxy had both
    /// StopProxying it needed from the other side first): nothing more comes through it, so when the bypass replaces
    /// it, it is dropped at once instead of draining for a ProxyDone that already came.
    /// </summary>
    public Hop? DoneBeforeBypass { get; set; }

    /// <summary>Endpoint: the sequence number of the next parcel put.</summary>
    public long NextSendSeq { get; set; }

    /// <summary>Endpoint: the sequence number of the next parcel to read.</summary>
    public long NextRecvSeq { get; set; }

    /// <summary>Endpoint: parcels arrived, by sequence number (they may arrive out of order across a bypass).</summary>
    public SortedDictionary<long, Parcel> Inbound { get; } = [];

    /// <summary>Endpoint: how many parcels the peer sent before it closed (-1 while it is open).</summary>
    public long PeerFinalSeq { get; set; } = -1;

    /// <summary>Endpoint: the route broke (a node on it died).</summary>
    public bool Broken { get; set; }

    /// <summary>This proxy asked its central neighbour for the lock and waits for the answer.</summary>
    public bool LockPending { get; set; }

    /// <summary>This router granted the lock of its central hop to the neighbour, which is bypassing itself.</summary>
    public bool LockedByPeer { get; set; }

    /// <summary>This proxy holds the lock and is being bypassed.</summary>
    public bool Bypassing { get; set; }

    /// <summary>Bypassing: the outward neighbour said it sends nothing more through this proxy.</summary>
    public bool StopFromOutward { get; set; }

    /// <summary>Bypassing: the inward neighbour said it sends nothing more through this proxy.</summary>
    public bool StopFromInward { get; set; }

    /// <summary>A bypass request waiting for a link to the node named in it (a broker was asked to introduce us).</summary>
    public (int TargetPid, ulong TargetKey, int ViaPid, Hop From)? PendingBypass { get; set; }

    /// <summary>True when the application's side has no parcel left to read and nothing more will come.</summary>
    public bool PeerClosedAndDrained =>
        !Inbound.ContainsKey(NextRecvSeq) && (Broken || (PeerFinalSeq >= 0 && NextRecvSeq >= PeerFinalSeq));

    /// <summary>The hops the router has now (outward, inward, draining).</summary>
    public IEnumerable<Hop> AllHops()
    {
        if (Outward is not null) yield return Outward;
        if (Inward is not null) yield return Inward;
        foreach (Hop h in Draining) yield return h;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"router {Id} ({Role}, side {Side})");
}
