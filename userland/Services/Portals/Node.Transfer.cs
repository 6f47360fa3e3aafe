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
            w.U64(theirRecv).U64(theirSend).U64((ulong)a.Side).I64(a.NextSendSeq).I64(a.NextRecvSeq).I64(a.PeerFinalSeq).U64(a.Broken ? 1UL : 0);
            moved.Add(a);
        }
        hop.Link.Send(this, w.ToArray());
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
        return new Parcel(seq, hops, bytes, portals, []);
    }
}
