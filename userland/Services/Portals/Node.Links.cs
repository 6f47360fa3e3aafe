using MicroKernel.Ipc.Notify;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Portals;

// Links: the bootstrap between two nodes, introductions by a broker, and a peer's death.
public sealed partial class Node
{
    // Pools offered by page send, noted by the handler (which may run inside any syscall or access of this process,
    // so it only appends) and adopted at the next pump.
    private readonly List<PageMessage> _offers = [];
    private readonly HashSet<int> _wantInitial = [];
    private readonly Dictionary<int, Router> _initial = [];
    private readonly HashSet<int> _lostPeers = [];

    /// <summary>
    /// Connects this node with node <paramref name="peerPid"/> (both call it) and returns the first portal of the
    /// pair that spans them. The lower pid of the two maps the pool (4 pages, zeroed), writes its header and shares
    /// it with the other by page send (share, receiver may write), then rings the other's doorbell; the higher pid
    /// waits for that offer. Doorbell and "alive" objects are public notifications named after the pid.
    /// </summary>
    public Portal Connect(int peerPid)
    {
        if (peerPid == Pid || peerPid <= 0) throw new ArgumentOutOfRangeException(nameof(peerPid), Text($"node {Pid} cannot connect to pid {peerPid}"));
        if (_initial.ContainsKey(peerPid) || !_wantInitial.Add(peerPid)) throw new InvalidOperationException(Text($"node {Pid} already connected to pid {peerPid}"));
        if (LinkTo(peerPid) is PoolLink existing) AddInitialPortal(existing);
        while (!_initial.ContainsKey(peerPid) && !_lostPeers.Contains(peerPid))
        {
            // The peer may not have made its node yet: the lower pid retries its offer, the higher one waits for it.
            if (Pid < peerPid && TryOffer(peerPid) is not null) break;
            Pump();
            if (!_initial.ContainsKey(peerPid) && !_lostPeers.Contains(peerPid)) BlockOnce(Pid < peerPid ? 2 : 16);
        }
        if (!_initial.TryGetValue(peerPid, out Router? r))
        {
            // The peer linked with us and died before the application asked: a portal whose peer is closed.
            r = NewRouter(Pid < peerPid ? 0 : 1);
            r.Broken = true;
            _initial[peerPid] = r;
        }
        return new Portal(r.Id);
    }

    // The first portal pair of a link, made as soon as the link exists when the application asked for it (before any
    // message of the link is read, so the peer's first parcels find it).
    private void AddInitialPortal(PoolLink link)
    {
        if (!_wantInitial.Contains(link.PeerPid) || _initial.ContainsKey(link.PeerPid)) return;
        Router r = NewRouter(link.Pool.Side);
        Attach(r, new Hop(link, NodeLink.InitialKey, NodeLink.InitialKey), outward: true);
        r.OutwardCentral = true;
        _initial[link.PeerPid] = r;
    }

    private NodeLink? LinkTo(int pid) => _links.TryGetValue(pid, out NodeLink? l) && !l.Dead ? l : null;

    // The lower pid of a pair makes their pool and offers it; null when the peer is not there (yet, or any more).
    private PoolLink? TryOffer(int peerPid)
    {
        if (LinkTo(peerPid) is PoolLink existing) return existing;
        if (Pid > peerPid) throw new InvalidOperationException("the lower pid of a pair makes its pool");
        long bell = _sys.RawNotifyCreate(PortalsProtocol.BellName(peerPid), NotifyFlags.Open);
        if (bell < 0) return null;
        long alive = _sys.RawNotifyCreate(PortalsProtocol.AliveName(peerPid), NotifyFlags.Open);
        if (alive < 0)
        {
            _sys.NotifyClose((int)bell);
            return null;
        }
        ulong address = _sys.Map(Pool.Size);
        Pool.Format(_sys.Memory, address, Pid, peerPid);
        long sent = _sys.Syscall(SyscallNumber.Send, (ulong)peerPid, PortalsProtocol.PoolOfferType, address, PortalsProtocol.PoolPages,
            (ulong)(SendFlags.SenderKeeps | SendFlags.ReceiverWrite | SendFlags.Block));
        if (sent < 1)
        {
            _sys.Unmap(address, Pool.Size);
            _sys.NotifyClose((int)alive);
            _sys.NotifyClose((int)bell);
            return null;
        }
        var link = new PoolLink(peerPid, Pool.Open(_sys.Memory, address, Pid, out _)!, (int)bell, (int)alive);
        AddLink(link);
        // The peer may be blocked in a trap and cannot know about a pool it has not adopted: one signal.
        Signal(link);
        return link;
    }

    private void AddLink(PoolLink link)
    {
        if (_links.Count > PortalsProtocol.MaxLinks) throw new InvalidOperationException(Text($"node {Pid}: more than {PortalsProtocol.MaxLinks} links"));
        _links[link.PeerPid] = link;
        AddInitialPortal(link);
    }

    // The page-send handler: note a pool offer; only a shared, writable pool of the right size is accepted.
    private bool OnPoolOffer(Sys s, PageMessage m)
    {
        const SendFlags shared = SendFlags.SenderKeeps | SendFlags.ReceiverWrite;
        if (m.Pages != PortalsProtocol.PoolPages || (m.Flags & (shared | SendFlags.Duplicate)) != shared) return false;
        _offers.Add(m);
        return true;
    }

    // Adopts the pools offered since the last pump; false when there were none.
    private bool AdoptOffers()
    {
        if (_offers.Count == 0) return false;
        PageMessage[] offers = [.. _offers];
        _offers.Clear();
        foreach (PageMessage m in offers)
        {
            Pool? pool = Pool.Open(_sys.Memory, m.Address, Pid, out int peer);
            long bell = -1, alive = -1;
            if (pool is not null && LinkTo(peer) is null && _links.Count <= PortalsProtocol.MaxLinks)
            {
                bell = _sys.RawNotifyCreate(PortalsProtocol.BellName(peer), NotifyFlags.Open);
                alive = bell < 0 ? -1 : _sys.RawNotifyCreate(PortalsProtocol.AliveName(peer), NotifyFlags.Open);
            }
            if (pool is null || LinkTo(peer) is not null)
            {
                _sys.Unmap(m.Address, Pool.Size);
                continue;
            }
            if (alive < 0 && bell >= 0) _sys.NotifyClose((int)bell);
            // A peer that died before we adopted its pool: read what it wrote, then the link dies at once.
            AddLink(new PoolLink(peer, pool, alive < 0 ? -1 : (int)bell, (int)alive) { PeerGone = alive < 0 });
        }
        return true;
    }

    /// <summary>Moves held-back messages into the link's ring while there is room; signals the peer if it waits.</summary>
    internal void Flush(PoolLink link)
    {
        bool wrote = false;
        while (!link.Dead && link.Outbox.Count > 0 && link.Pool.TryWrite(_sys.Memory, link.Outbox.Peek()))
        {
            link.Outbox.Dequeue();
            wrote = true;
        }
        if (wrote && link.Pool.TakePeerWaiting(_sys.Memory)) Signal(link);
    }

    // One notify on the peer's doorbell: the only kernel entry of a send, made only when the peer waits.
    private void Signal(PoolLink link)
    {
        if (link.PeerGone) return;
        Stats.Signals++;
        if (_sys.Syscall(SyscallNumber.Notify, (ulong)link.Bell, 1) < 0) CheckPeers();
    }

    /// <summary>
    /// Polls every peer's "alive" object (one syscall each) and breaks the links of the dead ones: every route through
    /// them breaks cleanly (both ends see the peer closed). A trap does it by itself when a peer dies while it waits.
    /// </summary>
    public void CheckPeers()
    {
        foreach (PoolLink link in _links.Values.OfType<PoolLink>().Where(l => !l.Dead).ToList())
            if (link.PeerGone || _sys.Syscall(SyscallNumber.Wait, (ulong)link.Alive, 0) == (long)ErrorCode.ObjectClosed) LinkDied(link);
    }

    // The peer died: read what it wrote before (the pool stays mapped here: page-send sharing), then break every
    // route through the link, unmap the pool and close the handles.
    private void LinkDied(PoolLink link)
    {
        ReadLink(link);
        link.Dead = true;
        link.Outbox.Clear();
        _links.Remove(link.PeerPid);
        Stats.LinksLost++;
        _lostPeers.Add(link.PeerPid);
        foreach ((ulong key, HopEnd end) in link.Ends.OrderBy(e => e.Key).ToList())
            BreakRouter(end.Router, except: key, link);
        link.Ends.Clear();
        _sys.Unmap(link.Pool.Address, Pool.Size);
        if (link.Bell >= 0) _sys.NotifyClose(link.Bell);
        if (link.Alive >= 0) _sys.NotifyClose(link.Alive);
    }
}
