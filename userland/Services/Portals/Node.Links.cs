using MicroKernel.Ipc.Notify;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Portals;

// Links: the bootstrap between two nodes, introductions by a broker, and a peer's death.
public sealed partial class Node
{
    // Pools offered by shm_send, noted by the segment handler (which may run inside any syscall or access of this
    // process, so it only appends) and adopted at the next pump.
    private readonly List<SegmentMessage> _offers = [];
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
            if (_initial.ContainsKey(peerPid) || _lostPeers.Contains(peerPid)) break;
            // A peer that exited before the two had a pool never offers one (nor takes ours): its pid answers
            // ProcessExited, and the portal reads as closed.
            if (_sys.Syscall(SyscallNumber.ShmConnect, (ulong)peerPid) == (long)ErrorCode.ProcessExited) _lostPeers.Add(peerPid);
            else BlockOnce(Pid < peerPid ? 2 : 16);
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
        // The pool: an unsafe segment (both nodes read and write it) that survives the peer's exit, so a node never
        // faults on a pool whose peer died under it (docs/portals.md#the-pool).
        long connection = _sys.Syscall(SyscallNumber.ShmConnect, (ulong)peerPid);
        long segment = connection < 0 ? connection
            : _sys.Syscall(SyscallNumber.ShmCreate, (ulong)connection, Pool.Size, (ulong)(ShmemFlags.Unsafe | ShmemFlags.Survives));
        ulong address = segment < 0 ? 0 : _sys.ShmAddress((int)segment);
        if (segment >= 0) Pool.Format(_sys.Memory, address, Pid, peerPid);
        long sent = segment < 0 ? segment : _sys.Syscall(SyscallNumber.ShmSend, (ulong)segment, PortalsProtocol.PoolOfferType);
        if (sent < 0)
        {
            if (segment >= 0) _sys.Syscall(SyscallNumber.ShmDestroy, (ulong)segment);
            _sys.NotifyClose((int)alive);
            _sys.NotifyClose((int)bell);
            return null;
        }
        var link = new PoolLink(peerPid, Pool.Open(_sys.Memory, address, Pid, out _)!, (int)bell, (int)alive) { Segment = (int)segment };
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
        RetryWaitingBypasses();
    }

    // Adopts the pools offered since the last pump; false when there were none.
    private bool AdoptOffers()
    {
        if (_offers.Count == 0) return false;
        SegmentMessage[] offers = [.. _offers];
        _offers.Clear();
        foreach (SegmentMessage m in offers)
        {
            // Only a pool of the right size whose header names this node and the sender is adopted.
            int peer = 0;
            Pool? pool = m.Size == Pool.Size ? Pool.Open(_sys.Memory, m.Address, Pid, out peer) : null;
            if (peer != m.SenderPid) pool = null;
            long bell = -1, alive = -1;
            if (pool is not null && LinkTo(peer) is null && _links.Count <= PortalsProtocol.MaxLinks)
            {
                bell = _sys.RawNotifyCreate(PortalsProtocol.BellName(peer), NotifyFlags.Open);
                alive = bell < 0 ? -1 : _sys.RawNotifyCreate(PortalsProtocol.AliveName(peer), NotifyFlags.Open);
            }
            if (pool is null || LinkTo(peer) is not null)
            {
                _sys.Syscall(SyscallNumber.ShmDestroy, (ulong)m.Segment);
                continue;
            }
            if (alive < 0 && bell >= 0) _sys.NotifyClose((int)bell);
            // A peer that died before we adopted its pool: read what it wrote, then the link dies at once.
            AddLink(new PoolLink(peer, pool, alive < 0 ? -1 : (int)bell, (int)alive) { PeerGone = alive < 0, Segment = m.Segment });
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

    // One notify on the peer's doorbell: the only kernel entry of a send, made only when the peer waits. A failed
    // notify means the peer may be dead; the links are checked at the next pump, not here: a signal is sent in the
    // middle of a send or a read, and breaking routes under the router being sent or read corrupted it (plan
    // cF0xSY_ChiB2: the proxy a portal left had lost its inward hop before SendParcel finished with it).
    private void Signal(PoolLink link)
    {
        if (link.PeerGone) return;
        Stats.Signals++;
        if (_sys.Syscall(SyscallNumber.Notify, (ulong)link.Bell, 1) < 0) _checkPeers = true;
    }

    // A signal failed since the last pump: look at every peer's "alive" object then.
    private bool _checkPeers;

    /// <summary>
    /// Polls every peer's "alive" object (one syscall each) and breaks the links of the dead ones: every route through
    /// them breaks cleanly (both ends see the peer closed). A trap does it by itself when a peer dies while it waits.
    /// </summary>
    public void CheckPeers()
    {
        foreach (PoolLink link in _links.Values.OfType<PoolLink>().Where(l => !l.Dead).ToList())
            if (link.PeerGone || _sys.Syscall(SyscallNumber.Wait, (ulong)link.Alive, 0) == (long)ErrorCode.ObjectClosed) LinkDied(link);
    }

    // The peer died: read what it wrote before (the pool stays mapped here: it was made to survive the peer), then
    // break every route through the link, destroy the pool (its frames are freed) and close the handles.
    private void LinkDied(PoolLink link)
    {
        // Runs once per link (a pump and CheckPeers may both find it dead).
        if (link.Dying) return;
        link.Dying = true;
        ReadLink(link);
        link.Dead = true;
        link.Outbox.Clear();
        _links.Remove(link.PeerPid);
        Stats.LinksLost++;
        _lostPeers.Add(link.PeerPid);
        foreach ((ulong key, HopEnd end) in link.Ends.OrderBy(e => e.Key).ToList())
            BreakRouter(end.Router, except: key, link);
        link.Ends.Clear();
        _sys.Syscall(SyscallNumber.ShmDestroy, (ulong)link.Segment);
        if (link.Bell >= 0) _sys.NotifyClose(link.Bell);
        if (link.Alive >= 0) _sys.NotifyClose(link.Alive);
    }
}
