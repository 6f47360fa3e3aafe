namespace MicroKernel.Userland.Services.Portals;

// Reading the links and handling each message: parcels, closes, broken routes.
public sealed partial class Node
{
    /// <summary>
    /// Does the node's work now: adopts offered pools, reads every message its peers wrote into their pools (and its
    /// loopback), forwards what proxies must forward, moves held-back messages into rings, and starts bypasses.
    /// Every call of the API pumps; a process that only waits pumps through <see cref="Wait"/>. True when anything
    /// was read.
    /// </summary>
    public bool Pump()
    {
        bool any = false;
        if (_checkPeers)
        {
            _checkPeers = false;
            CheckPeers();
        }
        for (int round = 0; round < 64; round++)
        {
            bool progress = AdoptOffers();
            foreach (NodeLink link in _links.Values.ToList())
            {
                if (link.Dead) continue;
                if (link.Parked is { } parked)
                {
                    link.Parked = null;
                    Dispatch(link, parked);
                    if (link.Parked is not null) continue;
                    progress = true;
                }
                if (link is PoolLink pool)
                {
                    Flush(pool);
                    if (ReadLink(pool)) progress = true;
                    if (pool.PeerGone) LinkDied(pool);
                }
                else
                    while (link.Parked is null && _loopback.Queue.TryDequeue(out byte[]? m))
                    {
                        Dispatch(link, m);
                        progress = true;
                    }
            }
            if (StartBypasses()) progress = true;
            if (!progress) break;
            any = true;
        }
        return any;
    }

    // Reads every message of a pool's incoming ring; frees ring room, so a peer blocked on a full ring is signalled.
    private bool ReadLink(PoolLink link)
    {
        bool read = false;
        while (!link.Dead && link.Parked is null && link.Pool.TryRead(_sys.Memory) is { } message)
        {
            read = true;
            Dispatch(link, message);
        }
        if (read && !link.Dead && link.Pool.TakePeerWaiting(_sys.Memory)) Signal(link);
        return read;
    }

    private void Dispatch(NodeLink link, byte[] message)
    {
        var m = new MessageReader(message);
        MessageLog?.Invoke(Text($"{Pid} <- {link.PeerPid}: {m.Kind} key {m.Key} -> {(link.Ends.TryGetValue(m.Key, out HopEnd dbg) ? dbg.Router + (dbg.Outward ? " out" : " in") : "none")}"));
        if (m.Key == 0)
        {
            NodeMessage(link, m);
            return;
        }
        if (m.Key == NodeLink.InitialKey && link is PoolLink && !link.Registered.Contains(m.Key))
        {
            // The peer connected and already put into the link's first pair, but this application has not called
            // Connect for that peer yet: the portal does not exist here. Dropping the message would lose the parcel
            // (and every portal in it, leaving their proxies waiting forever): read nothing more from this link until
            // Connect makes the portal, so the messages stay in order behind it.
            link.Parked = message;
            return;
        }
        if (!link.Ends.TryGetValue(m.Key, out HopEnd end))
        {
            Stats.Dropped++;
            return;
        }
        if (end.Router.AllHops().FirstOrDefault(h => h.Link == link && h.RecvKey == m.Key) is not { } from)
        {
            Stats.Dropped++;
            return;
        }
        Attend(end.Router);
        switch (m.Kind)
        {
            case MessageKind.Parcel: OnParcel(end, link, m); break;
            case MessageKind.Closed: OnClosed(end, m.I64()); break;
            case MessageKind.RouteBroken: BreakRouter(end.Router, m.Key, link); break;
            default: OnBypassMessage(end, from, m); break;
        }
    }

    /// <summary>
    /// When set, called with one line per message this node reads (its kind, key and the router it reaches): for
    /// following a route's reduction step by step while debugging (the property tests set it under MK_PORTALS_LOG).
    /// </summary>
    public Action<string>? MessageLog { get; set; }

    private void OnParcel(HopEnd end, NodeLink link, MessageReader m)
    {
        Parcel parcel = ReadParcel(link, m);
        Router r = end.Router;
        if (r.Role == RouterRole.Proxy)
        {
            Hop? next = end.Outward ? r.Inward : r.Outward;
            if (next is null) DropParcel(parcel);
            else
            {
                Stats.ParcelsForwarded++;
                MarkParcel(r, end.Outward ? 1 - r.Side : r.Side, parcel.Sequence, "fwd");
                SendParcel(next, parcel);
            }
            return;
        }
        if (r.Role != RouterRole.Endpoint)
        {
            DropParcel(parcel);
            return;
        }
        if (parcel.Sequence < r.NextRecvSeq || !r.Inbound.TryAdd(parcel.Sequence, parcel))
        {
            Stats.Duplicates++;
            DropParcel(parcel);
        }
        else MarkParcel(r, 1 - r.Side, parcel.Sequence, "got");
    }

    private void OnClosed(HopEnd end, long finalSeq)
    {
        Router r = end.Router;
        if (r.Role == RouterRole.Proxy)
        {
            if ((end.Outward ? r.Inward : r.Outward) is { } next) next.Link.Send(this, new MessageWriter(MessageKind.Closed, next.SendKey).I64(finalSeq).ToArray());
        }
        else if (r.Role == RouterRole.Endpoint) r.PeerFinalSeq = finalSeq;
    }

    // A parcel nobody will read: the portals it carried are closed, so their peers learn it; its segments are destroyed.
    private void DropParcel(Parcel parcel)
    {
        foreach (Userland.Runtime.Shmem s in parcel.Segments)
            if (s.Owned) s.Destroy();
        foreach (Portal p in parcel.Portals)
            if (_routers.TryGetValue(p.Id, out Router? r) && r.Role == RouterRole.Endpoint) CloseRouter(r);
    }

    private void CloseRouter(Router r)
    {
        if (r.Outward is { } hop && !r.Broken) hop.Link.Send(this, new MessageWriter(MessageKind.Closed, hop.SendKey).I64(r.NextSendSeq).ToArray());
        r.Role = RouterRole.Closed;
        Parcel[] unread = [.. r.Inbound.Values];
        r.Inbound.Clear();
        foreach (Parcel p in unread) DropParcel(p);
    }

    /// <summary>
    /// The route broke at <paramref name="r"/>'s hop <paramref name="except"/> on <paramref name="link"/> (its node died,
    /// or a neighbour said so): an endpoint keeps what it has in order and then reports the peer closed; any router
    /// tells its other hops and leaves every link.
    /// </summary>
    private void BreakRouter(Router r, ulong except, NodeLink link)
    {
        foreach (Hop h in r.AllHops().ToList())
        {
            Detach(h);
            if (h.Link == link && h.RecvKey == except) continue;
            if (!h.Link.Dead) h.Link.Send(this, new MessageWriter(MessageKind.RouteBroken, h.SendKey).ToArray());
        }
        r.Outward = r.Inward = null;
        r.Draining.Clear();
        r.DoneBeforeBypass = null;
        r.PendingBypass = null;
        r.LockPending = r.Bypassing = false;
        if (r.Role == RouterRole.Endpoint)
        {
            r.Broken = true;
            Mark(r, "broken");
        }
        else if (r.Role == RouterRole.Proxy)
        {
            r.Role = RouterRole.Gone;
            _routers.Remove(r.Id);
        }
    }
}
