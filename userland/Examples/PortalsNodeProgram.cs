using System.Text;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Portals;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// One node of the <c>portals</c> scenario (seed 003's picture, docs/portals.md). Argument: its role, A, B or C,
/// then the number of parcels B and C exchange (default 6). A (pid 1) is connected to B (pid 2) and C (pid 3). B
/// opens a pair and sends one end to A, which forwards it to C. B and C then exchange parcels over the new pair: the
/// first ones go through the proxies, the last ones over one hop, after A introduced B and C. Each prints its route
/// before and after.
/// </summary>
public sealed class PortalsNodeProgram : UserProgram
{
    private const int A = 1, B = 2, C = 3;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        string role = sys.Args.Count > 0 ? sys.Args[0] : "A";
        int rounds = sys.Args.Count > 1 ? int.Parse(sys.Args[1], CultureInfo.InvariantCulture) : 6;
        Node node = Node.Create(sys);
        return role switch
        {
            "A" => Broker(sys, node),
            "B" => NodeB(sys, node, rounds),
            "C" => NodeC(sys, node, rounds),
            _ => 2,
        };
    }

    // A: connected to both; forwards the portal it gets from B to C, then works (proxy, broker) until both leave.
    private static long Broker(Sys sys, Node node)
    {
        Portal toB = node.Connect(B), toC = node.Connect(C);
        sys.PrintLine("A: connected to B (pid 2) and C (pid 3)");
        if (Next(node, toB) is not { Portals.Count: 1 } carrier) return Broken(sys, "A", "B left before sending its portal");
        Put(node, toC, "from B, via A", carrier.Portals[0]);
        sys.PrintLine(Text($"A: got a portal from B ('{Encoding.UTF8.GetString(carrier.Bytes)}'); forwarded it to C"));
        Route(sys, node, "A", "before");
        while (Next(node, toB) is not null || Next(node, toC) is not null) { }
        sys.PrintLine(Text($"A: B and C left; I introduced {node.Stats.Introductions} pair, removed {node.Stats.ProxiesRemoved} proxy, forwarded {node.Stats.ParcelsForwarded} parcels; {node.Proxies} proxies left"));
        return node.Proxies == 0 ? 0 : 1;
    }

    private static long NodeB(Sys sys, Node node, int rounds)
    {
        Portal toA = node.Connect(A);
        (Portal mine, Portal theirs) = node.OpenPair();
        Put(node, toA, "take this", theirs);
        sys.PrintLine("B: opened a pair; sent one end to A");
        Route(sys, node, "B", "before");
        int direct = 0;
        for (int i = 0; i < rounds; i++)
        {
            Put(node, mine, Text($"B{i}"));
            if (Next(node, mine) is not { } p) return Broken(sys, "B", "C's portal is closed before its last parcel");
            sys.PrintLine(Text($"B: got '{Encoding.UTF8.GetString(p.Bytes)}' after {p.Hops} hop{(p.Hops == 1 ? "" : "s")}"));
            if (p.Hops == 1) direct++;
        }
        Route(sys, node, "B", "after");
        node.Close(mine);
        node.Close(toA);
        node.Flush();
        return direct > 0 ? 0 : 1;
    }

    private static long NodeC(Sys sys, Node node, int rounds)
    {
        Portal toA = node.Connect(A);
        if (Next(node, toA) is not { Portals.Count: 1 } carrier) return Broken(sys, "C", "A left before forwarding B's portal");
        Portal fromB = carrier.Portals[0];
        sys.PrintLine(Text($"C: got a portal from A ('{Encoding.UTF8.GetString(carrier.Bytes)}')"));
        Route(sys, node, "C", "at arrival");
        for (int i = 0; i < rounds; i++)
        {
            if (Next(node, fromB) is not { } p) return Broken(sys, "C", "B's portal is closed before its last parcel");
            sys.PrintLine(Text($"C: got '{Encoding.UTF8.GetString(p.Bytes)}' after {p.Hops} hop{(p.Hops == 1 ? "" : "s")}"));
            Put(node, fromB, Text($"C{i}"));
        }
        bool closed = Next(node, fromB) is null;
        Route(sys, node, "C", "after");
        sys.PrintLine(Text($"C: B closed its portal: {(closed ? "seen after its last parcel" : "NOT seen")}"));
        node.Close(fromB);
        node.Close(toA);
        node.Flush();
        return closed ? 0 : 1;
    }

    private static void Route(Sys sys, Node node, string who, string when)
    {
        node.Pump();
        foreach (string line in node.Describe()) sys.PrintLine(Text($"{who}: route {when}: {line}"));
    }

    // A node on the route died (docs/portals.md#death): the route broke cleanly, the peer reads as closed.
    private static long Broken(Sys sys, string who, string what)
    {
        sys.PrintLine(Text($"{who}: the route broke: {what}"));
        return 2;
    }

    private static Parcel? Next(Node node, Portal portal)
    {
        while (true)
        {
            PortalResult r = node.Get(portal, out Parcel? parcel);
            if (r == PortalResult.Ok) return parcel;
            if (r == PortalResult.PeerClosed) return null;
            node.Wait([portal]);
        }
    }

    private static void Put(Node node, Portal portal, string text, params Portal[] portals)
    {
        while (node.Put(portal, Encoding.UTF8.GetBytes(text), portals) == PortalResult.PoolFull) node.Flush(1);
    }

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
