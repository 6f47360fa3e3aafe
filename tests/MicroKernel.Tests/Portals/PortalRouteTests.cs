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
}
