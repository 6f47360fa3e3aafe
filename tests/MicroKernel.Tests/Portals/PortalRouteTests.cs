using System.Text;
using MicroKernel.Scheduling;
using MicroKernel.Userland.Services.Portals;
using static MicroKernel.Tests.Portals.PortalNodeTests;

namespace MicroKernel.Tests.Portals;

/// <summary>Portals sent over portals: proxies, route reduction (3 hops -> 1), the broker's introduction.</summary>
public class PortalRouteTests
{
    private static Kernel Boot(ulong seed = 1, PolicyKind policy = PolicyKind.RoundRobin) =>
        new(new KernelConfig { Frames = 512, Seed = seed, Policy = policy, MaxTicks = 400_000, Check = MicroKernel.Invariants.CheckLevel.End });

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>
    /// The seed's picture: A is connected to B and to C; B opens a pair and sends one end to A, which forwards it to
    /// C. B and C then talk over B -> A -> C (proxies at A, and at B for the pair's loopback hop) until the route
    /// reduces to one hop, with A introducing B and C (never connected before).
    /// </summary>
    [Theory]
    [InlineData(1UL, PolicyKind.RoundRobin)]
    [InlineData(7UL, PolicyKind.Random)]
    [InlineData(11UL, PolicyKind.Random)]
    public void A_portal_forwarded_through_a_broker_ends_one_hop_from_its_peer_with_every_parcel_once_in_order(ulong seed, PolicyKind policy)
    {
        var k = Boot(seed, policy);
        var atB = new List<(string Text, int Hops)>();
        var atC = new List<(string Text, int Hops)>();
        Node? a = null, b = null, c = null;
        const int Rounds = 30;
        k.Spawn("A", sys =>
        {
            Node node = a = Node.Create(sys);
            Portal toB = node.Connect(2), toC = node.Connect(3);
            Parcel carrier = Next(node, toB)!;
            PutAll(node, toC, B("forwarded"), carrier.Portals[0]);
            // Keep working (proxying, introducing) until both peers are done.
            while (Next(node, toB) is not null || Next(node, toC) is not null) { }
            return 0;
        });
        k.Spawn("B", sys =>
        {
            Node node = b = Node.Create(sys);
            Portal toA = node.Connect(1);
            (Portal mine, Portal theirs) = node.OpenPair();
            PutAll(node, toA, B("take this"), theirs);
            for (int i = 0; i < Rounds; i++)
            {
                PutAll(node, mine, B($"B{i}"));
                Parcel p = Next(node, mine)!;
                atB.Add((Encoding.UTF8.GetString(p.Bytes), p.Hops));
            }
            node.Close(mine);
            node.Close(toA);
            node.Flush();
            return 0;
        });
        k.Spawn("C", sys =>
        {
            Node node = c = Node.Create(sys);
            Portal toA = node.Connect(1);
            Parcel carrier = Next(node, toA)!;
            Portal fromB = carrier.Portals[0];
            for (int i = 0; i < Rounds; i++)
            {
                Parcel p = Next(node, fromB)!;
                atC.Add((Encoding.UTF8.GetString(p.Bytes), p.Hops));
                PutAll(node, fromB, B($"C{i}"));
            }
            Next(node, fromB).ShouldBeNull();
            node.Close(fromB);
            node.Close(toA);
            node.Flush();
            return 0;
        });
        var (r, _) = k.RunLogged();
        string state = string.Join("\n", new[] { a, b, c }.SelectMany(n => (n?.Describe() ?? []).Append($"dropped {n?.Stats.Dropped} fwd {n?.Stats.ParcelsForwarded} removed {n?.Stats.ProxiesRemoved} intro {n?.Stats.Introductions} peers {string.Join(",", n?.Peers ?? [])}")).Concat([$"atB {atB.Count} atC {atC.Count}", k.ConsoleOutput.ToString()]));
        r.Outcome.ShouldBe(RunOutcome.Completed, state);
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0 && p.ExitStatus == 0, state + string.Join("\n", k.Processes.SelectMany(p => p.Faults.Select(f => f.ToString()))));
        atC.Select(x => x.Text).ShouldBe(Enumerable.Range(0, Rounds).Select(i => $"B{i}"));
        atB.Select(x => x.Text).ShouldBe(Enumerable.Range(0, Rounds).Select(i => $"C{i}"));
        atC[0].Hops.ShouldBeGreaterThanOrEqualTo(2, "the first parcels go through the proxy at A");
        atC[^1].Hops.ShouldBe(1, "the route reduced to one hop");
        atB[^1].Hops.ShouldBe(1);
        a!.Stats.Introductions.ShouldBe(1, "A introduced B and C");
        (a.Stats.ProxiesRemoved + b!.Stats.ProxiesRemoved + c!.Stats.ProxiesRemoved).ShouldBeGreaterThanOrEqualTo(2);
        new[] { a, b, c }.ShouldAllBe(n => n.Proxies == 0 && n.Stats.Duplicates == 0);
        k.Frames.UserCount.ShouldBe(0);
        k.LiveNotifications.ShouldBe(0);
    }

    /// <summary>
    /// The proxy's node dies part-way (docs/portals.md#death): A forwards B's portal to C and exits at once, so the
    /// route B -> A -> C never reduces. Both ends see the peer closed (after whatever crossed before), nothing hangs,
    /// and no frame, segment or notification object is left once every node exited.
    /// </summary>
    [Theory]
    [InlineData(1UL, PolicyKind.RoundRobin)]
    [InlineData(5UL, PolicyKind.Random)]
    public void When_the_proxy_node_dies_both_ends_see_the_peer_closed_and_nothing_hangs(ulong seed, PolicyKind policy)
    {
        var k = Boot(seed, policy);
        var atC = new List<string>();
        PortalResult bPut = PortalResult.Ok, cAfter = PortalResult.Ok;
        bool bSawClosed = false;
        Node? b = null, c = null;
        k.Spawn("A", sys =>
        {
            Node node = Node.Create(sys);
            Portal toB = node.Connect(2), toC = node.Connect(3);
            Parcel carrier = Next(node, toB)!;
            PutAll(node, toC, B("forwarded"), carrier.Portals[0]);
            node.Flush();
            sys.Exit(9); // dies holding the proxy of the route
            return 0;
        });
        k.Spawn("B", sys =>
        {
            Node node = b = Node.Create(sys);
            Portal toA = node.Connect(1);
            (Portal mine, Portal theirs) = node.OpenPair();
            PutAll(node, toA, B("take this"), theirs);
            for (int i = 0; i < 5 && (bPut = node.Put(mine, B($"B{i}"))) == PortalResult.Ok; i++) { }
            bSawClosed = Next(node, mine) is null; // C's answer never comes: the peer reads closed
            bPut = node.Put(mine, B("late"));
            node.Close(mine);
            node.Flush();
            return 0;
        });
        k.Spawn("C", sys =>
        {
            Node node = c = Node.Create(sys);
            Portal toA = node.Connect(1);
            if (Next(node, toA) is not { Portals.Count: 1 } carrier) return 0;
            while (Next(node, carrier.Portals[0]) is { } p) atC.Add(Encoding.UTF8.GetString(p.Bytes));
            cAfter = node.Get(carrier.Portals[0], out _);
            node.Close(carrier.Portals[0]);
            node.Flush();
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, "nothing hangs");
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        k.FindProcess(1)!.ExitStatus.ShouldBe(9);
        bSawClosed.ShouldBeTrue("B sees its peer closed");
        bPut.ShouldBe(PortalResult.PeerClosed);
        cAfter.ShouldBe(PortalResult.PeerClosed, "C sees its peer closed");
        atC.ShouldBe(Enumerable.Range(0, atC.Count).Select(i => $"B{i}"), "what crossed is a prefix, in order");
        b!.Stats.LinksLost.ShouldBe(1);
        c!.Stats.LinksLost.ShouldBe(1);
        new[] { b, c }.ShouldAllBe(n => n.Stats.Duplicates == 0);
        k.Frames.UserCount.ShouldBe(0, "no pool or segment frame left");
        k.LiveNotifications.ShouldBe(0);
    }
}
