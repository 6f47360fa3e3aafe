using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Portals;

// Parcels on the wire, and portals that travel in them.
public sealed partial class Node
{
    /// <summary>
    /// Writes <paramref name="parcel"/> onto <paramref name="hop"/>. Each portal it carries leaves this node: its
    /// router stays here as a proxy whose inward hop is a new key on the same link, and the message describes the
    /// portal's state (side, sequence numbers, closed or broken) so the next node makes an endpoint of it. Parcels the
    /// portal had received but not handed out follow it, in order, through the proxy.
    /// </summary>
    private void SendParcel(Hop hop, Parcel parcel)
    {
        var w = new MessageWriter(MessageKind.Parcel, hop.SendKey)
            .I64(parcel.Sequence).U64((ulong)parcel.Hops + 1).Bytes(parcel.Bytes).U64((ulong)parcel.Portals.Count);
        List<Router> moved = [];
        foreach (Portal p in parcel.Portals)
        {
            Router a = _routers[p.Id];
            (Hop mine, ulong theirSend, ulong theirRecv) = hop.Link.NewHop();
            a.Role = RouterRole.Proxy;
            Attach(a, mine, outward: false);
            Attend(a);
            w.U64(theirRecv).U64(theirSend).U64((ulong)a.Side).I64(a.NextSendSeq).I64(a.NextRecvSeq).I64(a.PeerFinalSeq).U64(a.Broken ? 1UL : 0);
            moved.Add(a);
        }
        if (hop.Link is PoolLink toPeer)
        {
            w.U64((ulong)parcel.Segments.Count);
            foreach (Shmem s in parcel.Segments)
            {
                Shmem moving = OnConnectionWith(toPeer.PeerPid, s);
                // The peer's handler queue holds 16 messages: a full one drains as soon as the peer runs.
                while (_sys.Syscall(SyscallNumber.ShmSend, (ulong)moving.Id, PortalsProtocol.SegmentType) == (long)ErrorCode.QueueFull) _sys.Sleep(1);
                w.U64((ulong)moving.Id);
            }
        }
        hop.Link.Send(this, w.ToArray());
        if (hop.Link is LoopbackLink) _localSegments[(hop.SendKey, parcel.Sequence)] = [.. parcel.Segments];
        foreach (Router a in moved)
        {
            Parcel[] buffered = [.. a.Inbound.Values];
            a.Inbound.Clear();
            foreach (Parcel b in buffered) SendParcel(a.Inward!, b);
            if (a.Broken)
            {
                // Nothing more will come through it: the endpoint it became knows the route is broken.
                Detach(a.Inward!);
                a.Role = RouterRole.Gone;
                _routers.Remove(a.Id);
            }
        }
    }

    /// <summary>Reads a parcel message; each portal in it becomes an endpoint of this node, outward toward the sender.</summary>
    private Parcel ReadParcel(NodeLink link, MessageReader m)
    {
        long seq = m.I64();
        int hops = (int)m.U64();
        byte[] bytes = m.Bytes();
        var portals = new Portal[(int)m.U64()];
        for (int i = 0; i < portals.Length; i++)
        {
            ulong recv = m.U64(), send = m.U64();
            Router r = NewRouter((int)m.U64());
            r.NextSendSeq = m.I64();
            r.NextRecvSeq = m.I64();
            r.PeerFinalSeq = m.I64();
            r.Broken = m.U64() != 0;
            Attach(r, new Hop(link, send, recv), outward: true);
            portals[i] = new Portal(r.Id);
        }
        Shmem[] segments = [];
        if (link is PoolLink)
        {
            var ids = new int[(int)m.U64()];
            for (int i = 0; i < ids.Length; i++) ids[i] = (int)m.U64();
            segments = [.. ids.Select(TakeSegment).OfType<Shmem>()];
        }
        else if (_localSegments.Remove((m.Key, seq), out Shmem[]? local)) segments = local;
        return new Parcel(seq, hops, bytes, portals, segments);
    }

    // Segments that arrived by shm_send, noted by the segment handler (which may run at any syscall or access of this
    // process, so it only adds); segments of parcels on the loopback, by (key, sequence).
    private readonly Dictionary<int, SegmentMessage> _segmentArrivals = [];
    private readonly Dictionary<(ulong, long), Shmem[]> _localSegments = [];
    // Which node each segment this process owns is shared with (those it received), so it can go on without a copy.
    private readonly Dictionary<int, int> _segmentPeers = [];

    private long OnSegment(Sys s, SegmentMessage m)
    {
        if (m.Type == PortalsProtocol.SegmentType && !m.IsCall) _segmentArrivals[m.Segment] = m;
        else if (m.Type == PortalsProtocol.PoolOfferType && m.Unsafe && !m.IsCall) _offers.Add(m);
        return 0;
    }

    // The segment a parcel names: its shm message was sent before the parcel was written, but its handler may not
    // have run yet (a pending upcall runs at the next syscall entry): one cheap syscall lets it run. Null when it
    // never comes: its sender died and the kernel tore the segment down with their connection.
    private Shmem? TakeSegment(int id)
    {
        if (!_segmentArrivals.ContainsKey(id)) _sys.Syscall(SyscallNumber.GetPid);
        if (!_segmentArrivals.Remove(id, out SegmentMessage m)) return null;
        _segmentPeers[id] = m.SenderPid;
        return Shmem.Received(_sys, m);
    }

    /// <summary>
    /// <paramref name="s"/> on the connection with <paramref name="peer"/>: itself when it is shared with that node
    /// already; otherwise a new owned segment there with its bytes (a kernel segment belongs to one pair of processes,
    /// so a segment crossing a third node is re-made on each pair's connection), the old one destroyed.
    /// </summary>
    private Shmem OnConnectionWith(int peer, Shmem s)
    {
        if (_segmentPeers.Remove(s.Id, out int known) && known == peer) return s;
        var copy = Shmem.Create(_sys, _sys.ShmConnect(peer), s.Size);
        var bytes = new byte[s.Size];
        s.Read(0, bytes);
        copy.Write(0, bytes);
        s.Destroy();
        return copy;
    }
}
