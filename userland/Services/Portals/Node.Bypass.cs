namespace MicroKernel.Userland.Services.Portals;

// Route reduction (docs/portals.md#route-reduction): a proxy next to the central hop locks it, asks its central
// neighbour Q to link directly to its inward neighbour R, and drops out once Q and R both said they send nothing
// more through it. Parcels may then reach an endpoint by two paths at once: it orders them by sequence number.
public sealed partial class Node
{
    private readonly HashSet<int> _introductionsAsked = [];
    // Routers whose bypass state may have changed since the last pump (a message reached them, they became proxies,
    // a lock was released): only these are looked at, so a pump costs nothing per idle portal (100,000 pairs).
    private readonly SortedSet<int> _attention = [];
    // Bypass requests waiting for a link to the node they name: looked at again when a link is added.
    private readonly SortedSet<int> _waitingForLink = [];

    private void Attend(Router r) => _attention.Add(r.Id);

    // Proxies next to the central hop ask for its lock; requests waiting for an introduced link go on. True when any.
    private bool StartBypasses()
    {
        if (_attention.Count == 0) return false;
        int[] ids = [.. _attention];
        _attention.Clear();
        bool any = false;
        foreach (int id in ids)
        {
            if (!_routers.TryGetValue(id, out Router? r)) continue;
            if (r.PendingBypass is not null)
            {
                if (TryBypassWith(r)) any = true;
                else if (r.PendingBypass is not null) _waitingForLink.Add(r.Id);
                continue;
            }
            if (r.Role != RouterRole.Proxy || !r.OutwardCentral || r.Outward is null || r.Inward is null) continue;
            if (r.LockPending || r.LockedByPeer || r.Bypassing) continue;
            // Not while an old outward hop still drains: parcels from it may come after the StopProxying of this
            // proxy's own bypass, and must not follow the ProxyDone it then sends inward (plan 0000001dlSY0 of the
            // long run lost one that way). Its ProxyDone reaches this router, which is looked at again then.
            if (r.Draining.Count > 0) continue;
            r.LockPending = true;
            Send(r.Outward, new MessageWriter(MessageKind.LockRequest, r.Outward.SendKey));
            any = true;
        }
        return any;
    }

    // A link was added: the bypasses that waited for one try again.
    private void RetryWaitingBypasses()
    {
        _attention.UnionWith(_waitingForLink);
        _waitingForLink.Clear();
    }

    private void Send(Hop hop, MessageWriter w) => hop.Link.Send(this, w.ToArray());

    private void OnBypassMessage(HopEnd end, Hop from, MessageReader m)
    {
        Router r = end.Router;
        switch (m.Kind)
        {
            case MessageKind.LockRequest:
                // Only on the central hop as it is now; when both ends ask at once, side 0 wins.
                if (from != r.Outward || !r.OutwardCentral || r.Bypassing || r.LockedByPeer) return;
                if (r.LockPending)
                {
                    if (r.Side == 0) return;
                    r.LockPending = false;
                }
                r.LockedByPeer = true;
                Send(from, new MessageWriter(MessageKind.LockGranted, from.SendKey));
                return;
            case MessageKind.LockGranted:
                if (from != r.Outward || !r.LockPending || r.Inward is null) return;
                r.LockPending = false;
                r.Bypassing = true;
                MarkBypass(r, Pid, r.Inward.PeerPid, r.Inward.SendKey, "lock");
                Send(from, new MessageWriter(MessageKind.BypassRequest, from.SendKey)
                    .U64((ulong)r.Inward.PeerPid).U64((ulong)Pid).U64(r.Inward.SendKey));
                return;
            case MessageKind.BypassRequest:
                int target = (int)m.U64(), via = (int)m.U64();
                r.PendingBypass = (target, m.U64(), via, from);
                TryBypassWith(r);
                return;
            case MessageKind.StopProxying:
                if (from == r.Outward && !r.StopFromOutward)
                {
                    r.StopFromOutward = true;
                    if (r.Inward is { } inward) Send(inward, new MessageWriter(MessageKind.ProxyDone, inward.SendKey));
                }
                else if (from == r.Inward && !r.StopFromInward)
                {
                    r.StopFromInward = true;
                    if (r.Outward is { } outward) Send(outward, new MessageWriter(MessageKind.ProxyDone, outward.SendKey));
                }
                if (r.StopFromOutward && r.StopFromInward) RemoveProxy(r);
                return;
            case MessageKind.ProxyDone:
                if (r.Draining.Remove(from)) Detach(from);
                else if (from == r.Outward) r.DoneBeforeBypass = from; // the BypassWith replacing it is on its way
                return;
            default:
                throw new InvalidDataException(Text($"portals: message kind {m.Kind} on a hop"));
        }
    }

    // Q's half: link to the bypassing proxy's inward neighbour R (asking a broker first when there is no link to
    // R's node), tell R, then tell the proxy that nothing more comes through it from here.
    private bool TryBypassWith(Router q)
    {
        (int target, ulong key, int via, Hop from) = q.PendingBypass!.Value;
        if (from != q.Outward)
        {
            q.PendingBypass = null; // the route broke or changed under it
            return false;
        }
        NodeLink? link = LinkTo(target);
        if (link is null)
        {
            if (_introductionsAsked.Add(target) && LinkTo(via) is { } broker)
                broker.Send(this, new MessageWriter(MessageKind.NeedIntroduction, 0).U64((ulong)target).ToArray());
            return false;
        }
        (Hop mine, ulong theirSend, ulong theirRecv) = link.NewHop();
        MarkBypass(q, via, target, key, "link");
        link.Send(this, new MessageWriter(MessageKind.BypassWith, 0).U64((ulong)via).U64(key).U64(theirRecv).U64(theirSend).ToArray());
        q.PendingBypass = null;
        q.LockedByPeer = false;
        q.Draining.Add(from);
        Attach(q, mine, outward: true);
        q.OutwardCentral = true;
        Send(from, new MessageWriter(MessageKind.StopProxying, from.SendKey));
        Attend(q); // the lock is free again: q may be a proxy next to the new central hop
        return true;
    }

    // R's half: the new central hop replaces the hop to the proxy, which drains.
    private void OnBypassWith(NodeLink toQ, MessageReader m)
    {
        int via = (int)m.U64();
        ulong key = m.U64(), recv = m.U64(), send = m.U64();
        NodeLink? toProxy = via == Pid ? _loopback : LinkTo(via);
        if (toProxy is null && !_lostPeers.Contains(via))
        {
            // The proxy's node offered its pool but this node has not adopted it yet (R's portal will come through
            // it): wait for it, reading nothing more from Q.
            toQ.Parked = m.Message;
            return;
        }
        if (toProxy is not null && !toProxy.Ends.ContainsKey(key) && !toProxy.Registered.Contains(key))
        {
            // R's portal is still on its way from the proxy's node: wait for it, reading nothing more from Q.
            toQ.Parked = m.Message;
            return;
        }
        if (toProxy is null || !toProxy.Ends.TryGetValue(key, out HopEnd end) || !end.Outward || end.Router.Outward is not { } old || old.RecvKey != key || old.Link != toProxy)
        {
            // R is gone (its route broke, or the proxy's node died before R arrived): Q's new hop leads nowhere,
            // so Q's side of the route breaks too rather than wait forever.
            Stats.Dropped++;
            toQ.Send(this, new MessageWriter(MessageKind.RouteBroken, send).ToArray());
            return;
        }
        Router r = end.Router;
        MarkBypass(r, via, Pid, key, "adopt");
        // Plan bb3ZFt2naXR2: the proxy may have said ProxyDone on this hop already; then no other will come.
        if (r.DoneBeforeBypass == old) Detach(old);
        else r.Draining.Add(old);
        r.DoneBeforeBypass = null;
        Attach(r, new Hop(toQ, send, recv), outward: true);
        r.OutwardCentral = true;
        Send(old, new MessageWriter(MessageKind.StopProxying, old.SendKey));
        Attend(r);
    }

    private void RemoveProxy(Router p)
    {
        if (p.Bypassing && p.Inward is { } inward) MarkBypass(p, Pid, inward.PeerPid, inward.SendKey, "gone");
        foreach (Hop h in p.AllHops()) Detach(h);
        p.Outward = p.Inward = null;
        p.Draining.Clear();
        p.Role = RouterRole.Gone;
        _routers.Remove(p.Id);
        Stats.ProxiesRemoved++;
    }

    // Node-level messages (key 0): introductions and the new central hop of a bypass.
    private void NodeMessage(NodeLink link, MessageReader m)
    {
        switch (m.Kind)
        {
            case MessageKind.BypassWith:
                OnBypassWith(link, m);
                return;
            case MessageKind.NeedIntroduction:
            {
                // The broker's part: the lower pid of the pair makes the pool (so a pair never gets two).
                int other = (int)m.U64(), asker = link.PeerPid;
                if (LinkTo(other) is not { } toOther || other == asker) return;
                Stats.Introductions++;
                NodeLink maker = asker < other ? link : toOther;
                maker.Send(this, new MessageWriter(MessageKind.Introduce, 0).U64((ulong)(asker < other ? other : asker)).ToArray());
                return;
            }
            case MessageKind.Introduce:
            {
                int peer = (int)m.U64();
                if (peer > Pid && LinkTo(peer) is null) TryOffer(peer);
                return;
            }
            default:
                throw new InvalidDataException(Text($"portals: message kind {m.Kind} at node level"));
        }
    }
}
