using MicroKernel.Ipc.Notify;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// A portals node: one per process (ipcz's Node, seed 003; docs/portals.md). It holds the process's portals and the
/// proxies left where portals passed, and one link per connected node: a private shared-memory pool in simulated
/// memory that both nodes map, through which every parcel and control message goes. The kernel is entered to signal
/// a peer only when that peer said (in the pool) that it waits, and to block in <see cref="Wait"/>.
/// A node is used by one thread of its process at a time; all of its state is this process's own.
/// </summary>
public sealed partial class Node
{
    private readonly Sys _sys;
    private readonly int _bell, _alive;
    private readonly LoopbackLink _loopback;
    // Peer pid -> link (the loopback under this node's own pid); sorted so every walk is deterministic.
    private readonly SortedDictionary<int, NodeLink> _links = [];
    private readonly SortedDictionary<int, Router> _routers = [];
    private int _nextRouter = 1;

    private Node(Sys sys)
    {
        _sys = sys;
        Pid = sys.Pid;
        _loopback = new LoopbackLink(Pid);
        _links[Pid] = _loopback;
        // The handler first: a peer may offer a pool (an unsafe segment) as soon as the doorbell exists.
        sys.RegisterSegmentHandler(OnSegment);
        _alive = sys.NotifyCreate(PortalsProtocol.AliveName(Pid));
        _bell = sys.NotifyCreate(PortalsProtocol.BellName(Pid));
    }

    /// <summary>Makes this process's node: its doorbell, its "alive" object and its pool-offer handler.</summary>
    public static Node Create(Sys sys) => new(sys);

    /// <summary>This node's pid.</summary>
    public int Pid { get; }

    /// <summary>The counters (kernel entries above all).</summary>
    public NodeStats Stats { get; } = new();

    /// <summary>Portals the application holds open.</summary>
    public int OpenPortals => _routers.Values.Count(r => r.Role == RouterRole.Endpoint);

    /// <summary>Proxies in this node now (0 on every node once every route reduced).</summary>
    public int Proxies => _routers.Values.Count(r => r.Role == RouterRole.Proxy);

    /// <summary>The pids of the nodes this node has a live link with.</summary>
    public IReadOnlyList<int> Peers => [.. _links.Keys.Where(p => p != Pid)];

    /// <summary>A new pair of entangled portals, both in this node: what one puts, the other gets.</summary>
    public (Portal, Portal) OpenPair()
    {
        Router a = NewRouter(0), b = NewRouter(1);
        (Hop hop, ulong theirSend, ulong theirRecv) = _loopback.NewHop();
        Attach(a, hop, outward: true);
        a.OutwardCentral = true;
        Attach(b, new Hop(_loopback, theirSend, theirRecv), outward: true);
        b.OutwardCentral = true;
        return (new Portal(a.Id), new Portal(b.Id));
    }

    /// <summary>
    /// Puts a parcel into <paramref name="portal"/>: <paramref name="bytes"/>, and <paramref name="portals"/> of this
    /// node, which travel with it (they are no longer this node's; where they were, proxies forward until the route
    /// reduces), and owned <paramref name="segments"/> this process owns, whose ownership moves with the parcel
    /// (shm_send to the next node; docs/portals.md#segments). Parcels come out of the peer portal in the order they
    /// were put.
    /// </summary>
    public PortalResult Put(Portal portal, ReadOnlySpan<byte> bytes, ReadOnlySpan<Portal> portals = default, ReadOnlySpan<Shmem> segments = default)
    {
        Router r = Endpoint(portal);
        if (bytes.Length > PortalsProtocol.MaxParcelBytes) return PortalResult.TooLarge;
        if (portals.Length > PortalsProtocol.MaxParcelPortals) throw new ArgumentException(Text($"a parcel carries at most {PortalsProtocol.MaxParcelPortals} portals"), nameof(portals));
        var attached = new Portal[portals.Length];
        for (int i = 0; i < portals.Length; i++)
        {
            Router a = Endpoint(portals[i]);
            if (a == r) throw new ArgumentException(Text($"{portal} cannot travel inside itself"), nameof(portals));
            if (Array.IndexOf(attached, portals[i], 0, i) >= 0) throw new ArgumentException(Text($"{portals[i]} twice in one parcel"), nameof(portals));
            attached[i] = portals[i];
        }
        if (segments.Length > PortalsProtocol.MaxParcelSegments) throw new ArgumentException(Text($"a parcel carries at most {PortalsProtocol.MaxParcelSegments} segments"), nameof(segments));
        foreach (Shmem s in segments)
            if (s.Unsafe || !s.Owned) throw new ArgumentException(Text($"shmem segment {s.Id} is not an owned segment this process owns"), nameof(segments));
        Pump();
        if (r.Broken || r.PeerFinalSeq >= 0 || r.Outward is null) return PortalResult.PeerClosed;
        if (r.Outward.Link.Backlog >= PortalsProtocol.OutboxLimit) return PortalResult.PoolFull;
        var parcel = new Parcel(r.NextSendSeq++, 0, bytes.ToArray(), attached, segments.ToArray());
        SendParcel(r.Outward, parcel);
        Stats.ParcelsSent++;
        return PortalResult.Ok;
    }

    /// <summary>
    /// Reads the next parcel of <paramref name="portal"/>: <see cref="PortalResult.Ok"/> with it, <see cref="PortalResult.Empty"/>
    /// when none has arrived yet, <see cref="PortalResult.PeerClosed"/> once the peer closed and all it sent was read.
    /// </summary>
    public PortalResult Get(Portal portal, out Parcel? parcel)
    {
        Router r = Endpoint(portal);
        Pump();
        parcel = null;
        if (r.Inbound.Remove(r.NextRecvSeq, out Parcel? next))
        {
            r.NextRecvSeq++;
            parcel = next;
            Stats.ParcelsReceived++;
            return PortalResult.Ok;
        }
        return r.PeerClosedAndDrained ? PortalResult.PeerClosed : PortalResult.Empty;
    }

    /// <summary>Closes <paramref name="portal"/>: its peer sees it closed after reading every parcel put before.</summary>
    public void Close(Portal portal)
    {
        Router r = Endpoint(portal);
        CloseRouter(r);
        Pump();
    }

    /// <summary>What <paramref name="portal"/> has to report now (after reading what arrived).</summary>
    public PortalSignals Status(Portal portal)
    {
        Router r = Endpoint(portal);
        Pump();
        return Signals(r);
    }

    /// <summary>
    /// A trap: waits until one of <paramref name="portals"/> has a parcel or its peer closed; returns its index (the
    /// lowest ready one), or -1 after <paramref name="timeout"/> ticks (-1: no limit). Before blocking it says so in
    /// every pool, so a peer enters the kernel to signal only when this node really waits.
    /// </summary>
    public int Wait(ReadOnlySpan<Portal> portals, long timeout = -1)
    {
        foreach (Portal p in portals) Endpoint(p);
        while (true)
        {
            Pump();
            int ready = FirstReady(portals);
            if (ready >= 0) return ready;
            SetWaiting(true);
            // A message written between the pump and the flag found no flag: look once more before blocking.
            if (Pump() || FirstReady(portals) >= 0)
            {
                SetWaiting(false);
                continue;
            }
            long r = BlockOnce(timeout);
            SetWaiting(false);
            if (r == (long)Syscalls.ErrorCode.TimedOut)
            {
                Pump();
                return FirstReady(portals);
            }
        }
    }

    /// <summary>
    /// Works until every message this node holds back has gone into its pools (or <paramref name="maxWaits"/> waits
    /// passed): what a node does before its process exits, so that nothing it put is lost. True when all went out.
    /// </summary>
    public bool Flush(int maxWaits = 1000)
    {
        for (int i = 0; i < maxWaits; i++)
        {
            Pump();
            if (_links.Values.All(l => l.Backlog == 0) && _loopback.Queue.Count == 0) return true;
            SetWaiting(true);
            if (!Pump()) BlockOnce(8);
            SetWaiting(false);
        }
        return false;
    }

    /// <summary>One line per router of this node: what it is and where its hops lead (for accounts and labs).</summary>
    public IReadOnlyList<string> Describe() =>
        [.. _routers.Values.Where(r => r.Role is RouterRole.Endpoint or RouterRole.Proxy).Select(r => r.Role == RouterRole.Endpoint
            ? Text($"pid {Pid}: portal {r.Id} (side {r.Side}) -> {Where(r.Outward)}{(r.OutwardCentral ? " (central)" : "")}")
            : Text($"pid {Pid}: proxy {r.Id} (side {r.Side}) between {Where(r.Outward)} and {Where(r.Inward)}{(r.Bypassing ? " (being bypassed)" : "")}")),
         .. _links.Values.Where(l => l.Backlog > 0).Select(l => Text($"pid {Pid}: {l.Backlog} messages held back for pid {l.PeerPid}"))];

    private string Where(Hop? hop) => hop is null ? "nothing (broken)" : hop.PeerPid == Pid ? "this node" : Text($"pid {hop.PeerPid}");

    private static PortalSignals Signals(Router r) =>
        r.Inbound.ContainsKey(r.NextRecvSeq) ? PortalSignals.ParcelArrived
        : r.PeerClosedAndDrained ? PortalSignals.PeerClosed : PortalSignals.None;

    private int FirstReady(ReadOnlySpan<Portal> portals)
    {
        for (int i = 0; i < portals.Length; i++)
            if (Signals(_routers[portals[i].Id]) != PortalSignals.None) return i;
        return -1;
    }

    private Router NewRouter(int side)
    {
        var r = new Router(_nextRouter++, side);
        _routers[r.Id] = r;
        return r;
    }

    private Router Endpoint(Portal portal) =>
        _routers.TryGetValue(portal.Id, out Router? r) && r.Role == RouterRole.Endpoint ? r
        : throw new ArgumentException(Text($"{portal} is not an open portal of node {Pid}"), nameof(portal));

    // Registers a hop of a router on its link, so messages that arrive with the hop's key find the router.
    private static void Attach(Router r, Hop hop, bool outward)
    {
        if (outward) r.Outward = hop;
        else r.Inward = hop;
        hop.Link.Ends[hop.RecvKey] = new HopEnd(r, outward);
        hop.Link.Registered.Add(hop.RecvKey);
    }

    private static void Detach(Hop hop) => hop.Link.Ends.Remove(hop.RecvKey);

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    // Flags in every pool: "signal me".
    private void SetWaiting(bool waiting)
    {
        foreach (NodeLink l in _links.Values)
            if (l is PoolLink p && !p.Dead && !p.PeerGone) p.Pool.SetWaiting(_sys.Memory, waiting);
    }

    // One wait_any on the doorbell and every peer's "alive" object; a closed one means a peer died.
    private long BlockOnce(long timeout)
    {
        List<int> handles = [_bell];
        foreach (NodeLink l in _links.Values)
            if (l is PoolLink p && !p.Dead && p.Alive >= 0) handles.Add(p.Alive);
        Stats.Waits++;
        long r = _sys.RawWaitAny(handles.ToArray(), timeout);
        if (r == (long)Syscalls.ErrorCode.ObjectClosed) CheckPeers();
        return r;
    }
}
