using System.Text;
using MicroKernel.Processes;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Portals;

namespace MicroKernel.Tests.Portals;

/// <summary>Portals between two nodes: bootstrap, in-order parcels, close, traps and their kernel entries, back-pressure, death.</summary>
public class PortalNodeTests
{
    private static Kernel Boot(ulong seed = 1) =>
        new(new KernelConfig { Frames = 512, Seed = seed, MaxTicks = 400_000, Check = MicroKernel.Invariants.CheckLevel.End });

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    private static string S(Parcel p) => Encoding.UTF8.GetString(p.Bytes);

    // Reads one parcel, waiting in a trap when none is there; null once the peer is closed.
    internal static Parcel? Next(Node node, Portal portal)
    {
        while (true)
        {
            PortalResult r = node.Get(portal, out Parcel? parcel);
            if (r == PortalResult.Ok) return parcel;
            if (r == PortalResult.PeerClosed) return null;
            node.Wait([portal]);
        }
    }

    internal static void PutAll(Node node, Portal portal, byte[] bytes, params Portal[] portals)
    {
        while (true)
        {
            PortalResult r = node.Put(portal, bytes, portals);
            if (r == PortalResult.Ok) return;
            r.ShouldBe(PortalResult.PoolFull);
            node.Flush(1);
        }
    }

    private static void ShouldEndClean(Kernel k, RunResult r)
    {
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        k.Frames.UserCount.ShouldBe(0, "no pool frame left once every node exited");
        k.LiveNotifications.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void Parcels_cross_two_nodes_in_order_and_the_peer_sees_the_close_after_the_last_one()
    {
        var k = Boot();
        var got = new List<string>();
        PortalResult afterLast = PortalResult.Ok;
        k.Spawn("a", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(2);
            while (Next(node, p) is { } parcel) got.Add(S(parcel));
            afterLast = node.Get(p, out _);
            return 0;
        });
        k.Spawn("b", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(1);
            for (int i = 0; i < 40; i++) PutAll(node, p, B($"parcel {i}"));
            node.Close(p);
            node.Flush().ShouldBeTrue();
            return 0;
        });
        var (r, _) = k.RunLogged();
        ShouldEndClean(k, r);
        k.Processes.ShouldAllBe(p => p.ExitStatus == 0);
        got.ShouldBe(Enumerable.Range(0, 40).Select(i => $"parcel {i}"));
        afterLast.ShouldBe(PortalResult.PeerClosed);
    }

    /// <summary>
    /// Many pairs between two nodes (the benchmark opens 100,000): node 1 opens them and sends one end of each to
    /// node 2, 8 to a parcel. Every end arrives as a portal of node 2, every route reduces to the one pool hop (no
    /// proxy left at node 1), and a parcel put into each pair comes out at the other end.
    /// </summary>
    [Fact]
    public void Thousands_of_pairs_sent_between_two_nodes_arrive_and_reduce_to_one_hop()
    {
        const int Pairs = 2_000;
        var k = new Kernel(new KernelConfig { Frames = 512, Seed = 3, MaxTicks = 4_000_000 });
        int proxiesLeft = -1, received = 0, echoed = 0;
        k.Spawn("a", sys =>
        {
            Node node = Node.Create(sys);
            Portal toB = node.Connect(2);
            var kept = new List<Portal>();
            var batch = new Portal[PortalsProtocol.MaxParcelPortals];
            for (int i = 0; i < Pairs; i += batch.Length)
            {
                for (int j = 0; j < batch.Length; j++)
                {
                    (Portal x, Portal y) = node.OpenPair();
                    kept.Add(x);
                    batch[j] = y;
                }
                PutAll(node, toB, [], batch);
            }
            foreach (Portal x in kept) PutAll(node, x, B("ping"));
            foreach (Portal x in kept)
                if (Next(node, x) is { Hops: 1 }) echoed++;
            proxiesLeft = node.Proxies;
            node.Close(toB);
            node.Flush();
            return 0;
        });
        k.Spawn("b", sys =>
        {
            Node node = Node.Create(sys);
            Portal toA = node.Connect(1);
            var ends = new List<Portal>();
            while (ends.Count < Pairs && Next(node, toA) is { } p) ends.AddRange(p.Portals);
            received = ends.Count;
            foreach (Portal y in ends)
                if (Next(node, y) is { } ping) PutAll(node, y, ping.Bytes);
            while (Next(node, toA) is not null) { }
            return 0;
        });
        RunResult r = k.Run();
        string why = string.Join("\n", k.Processes.SelectMany(p => p.Faults.Select(f => $"{p.Name}: {f}")));
        r.Outcome.ShouldBe(RunOutcome.Completed, why);
        k.Processes.ShouldAllBe(p => p.ExitStatus == 0, why);
        received.ShouldBe(Pairs);
        echoed.ShouldBe(Pairs, "every echo came back over one hop");
        proxiesLeft.ShouldBe(0);
        k.Frames.UserCount.ShouldBe(0);
    }

    [Fact]
    public void A_pair_in_one_node_delivers_in_order_and_reports_the_close()
    {
        var k = Boot();
        var got = new List<string>();
        k.Spawn("solo", sys =>
        {
            Node node = Node.Create(sys);
            (Portal a, Portal b) = node.OpenPair();
            node.Status(b).ShouldBe(PortalSignals.None);
            node.Put(a, B("one")).ShouldBe(PortalResult.Ok);
            node.Put(a, B("two")).ShouldBe(PortalResult.Ok);
            node.Status(b).ShouldBe(PortalSignals.ParcelArrived);
            node.Close(a);
            while (Next(node, b) is { } parcel) got.Add(S(parcel));
            node.Status(b).ShouldBe(PortalSignals.PeerClosed);
            node.Put(b, B("late")).ShouldBe(PortalResult.PeerClosed);
            Should.Throw<ArgumentException>(() => node.Put(a, B("closed")));
            node.Put(b, new byte[PortalsProtocol.MaxParcelBytes + 1]).ShouldBe(PortalResult.TooLarge);
            return 0;
        });
        var (r, _) = k.RunLogged();
        ShouldEndClean(k, r);
        got.ShouldBe(["one", "two"]);
    }

    [Fact]
    public void A_busy_receiver_costs_the_sender_no_kernel_entry_and_a_waiting_one_one_signal_per_wait()
    {
        var k = Boot();
        long senderSignals = -1, receiverWaits = -1;
        k.Spawn("sender", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(2);
            long before = node.Stats.Signals;
            for (int i = 0; i < 30; i++) PutAll(node, p, B($"busy {i}"));
            node.Flush();
            senderSignals = node.Stats.Signals - before;
            return 0;
        });
        k.Spawn("receiver", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(1);
            long before = node.Stats.Waits;
            // Busy: it polls (Get touches only the pool) and never blocks.
            for (int n = 0; n < 30;)
                if (node.Get(p, out _) == PortalResult.Ok) n++;
            receiverWaits = node.Stats.Waits - before;
            return 0;
        });
        var (r, _) = k.RunLogged();
        ShouldEndClean(k, r);
        receiverWaits.ShouldBe(0);
        senderSignals.ShouldBe(0, "the receiver never waited: no kernel entry to signal it");

        k = Boot();
        Node? sender = null, receiver = null;
        k.Spawn("sender", sys =>
        {
            Node node = sender = Node.Create(sys);
            Portal p = node.Connect(2);
            for (int i = 0; i < 10; i++)
            {
                sys.Sleep(20); // the receiver blocks in its trap meanwhile
                PutAll(node, p, B($"slow {i}"));
            }
            node.Close(p);
            node.Flush();
            return 0;
        });
        k.Spawn("receiver", sys =>
        {
            Node node = receiver = Node.Create(sys);
            Portal p = node.Connect(1);
            while (Next(node, p) is not null) { }
            return 0;
        });
        (r, _) = k.RunLogged();
        ShouldEndClean(k, r);
        receiver!.Stats.ParcelsReceived.ShouldBe(10);
        receiver.Stats.Waits.ShouldBeGreaterThanOrEqualTo(10);
        sender!.Stats.Signals.ShouldBeLessThanOrEqualTo(receiver.Stats.Waits + 1, "a signal only when the receiver waits");
        sender.Stats.Signals.ShouldBeGreaterThanOrEqualTo(10);
    }

    /// <summary>
    /// A trap on several portals (docs/portals.md#the-api): it blocks (one kernel wait, no busy loop) until one of them
    /// has a parcel or a closed peer, and answers the lowest ready index; with a timeout and nothing coming, -1.
    /// </summary>
    [Fact]
    public void A_trap_on_several_portals_answers_the_one_with_a_parcel_or_a_closed_peer()
    {
        var k = Boot();
        var answers = new List<int>();
        long waits = -1;
        k.Spawn("waiter", sys =>
        {
            Node node = Node.Create(sys);
            Portal fromB = node.Connect(2), fromC = node.Connect(3);
            long before = node.Stats.Waits;
            answers.Add(node.Wait([fromB, fromC])); // C puts first
            node.Get(fromC, out Parcel? p).ShouldBe(PortalResult.Ok);
            S(p!).ShouldBe("from C");
            answers.Add(node.Wait([fromB, fromC])); // then B
            node.Get(fromB, out _).ShouldBe(PortalResult.Ok);
            answers.Add(node.Wait([fromB, fromC], timeout: 5)); // nothing for 5 ticks
            answers.Add(node.Wait([fromB, fromC])); // C closes: its peer closed counts as ready
            node.Get(fromC, out _).ShouldBe(PortalResult.PeerClosed);
            waits = node.Stats.Waits - before;
            node.Put(fromB, B("go on")).ShouldBe(PortalResult.Ok);
            Next(node, fromB).ShouldBeNull();
            node.Flush();
            return 0;
        });
        k.Spawn("b", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(1);
            sys.Sleep(60);
            PutAll(node, p, B("from B"));
            Next(node, p).ShouldNotBeNull(); // waits for "go on"
            node.Close(p);
            node.Flush();
            return 0;
        });
        k.Spawn("c", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(1);
            sys.Sleep(20);
            PutAll(node, p, B("from C"));
            sys.Sleep(100);
            node.Close(p);
            node.Flush();
            return 0;
        });
        var (r, _) = k.RunLogged();
        ShouldEndClean(k, r);
        k.Processes.ShouldAllBe(p => p.ExitStatus == 0);
        answers.ShouldBe([1, 0, -1, 1]);
        waits.ShouldBeGreaterThanOrEqualTo(4, "each answer came after the trap blocked in the kernel");
    }

    [Fact]
    public void A_full_pool_pushes_back_and_every_accepted_parcel_arrives_once()
    {
        var k = Boot();
        int accepted = 0, refusedAt = -1;
        var got = new List<int>();
        k.Spawn("writer", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(2);
            for (int i = 0; i < 400 && refusedAt < 0; i++)
            {
                if (node.Put(p, BitConverter.GetBytes(i).Concat(new byte[500]).ToArray()) == PortalResult.PoolFull) refusedAt = i;
                else accepted++;
            }
            node.Close(p);
            node.Flush().ShouldBeTrue();
            return 0;
        });
        k.Spawn("reader", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(1);
            sys.Sleep(200); // reads nothing for a while: the ring fills
            while (Next(node, p) is { } parcel) got.Add(BitConverter.ToInt32(parcel.Bytes));
            return 0;
        });
        var (r, _) = k.RunLogged();
        ShouldEndClean(k, r);
        refusedAt.ShouldBeGreaterThan(0, "the pool filled");
        got.ShouldBe(Enumerable.Range(0, accepted));
    }

    [Fact]
    public void A_peer_that_dies_breaks_the_route_cleanly_and_its_waiter_wakes()
    {
        var k = Boot();
        var got = new List<string>();
        PortalResult after = PortalResult.Ok;
        Node? survivor = null;
        k.Spawn("survivor", sys =>
        {
            Node node = survivor = Node.Create(sys);
            Portal p = node.Connect(2);
            while (Next(node, p) is { } parcel) got.Add(S(parcel));
            after = node.Put(p, B("anyone?"));
            return 0;
        });
        k.Spawn("victim", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(1);
            PutAll(node, p, B("first"));
            PutAll(node, p, B("second"));
            node.Flush();
            sys.Sleep(30);
            sys.Memory.WriteUInt64(0x10, 1); // dies of a fault, portal open
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        k.FindProcess(1)!.ExitStatus.ShouldBe(0);
        k.FindProcess(2)!.Faults.Count.ShouldBe(1);
        got.ShouldBe(["first", "second"]);
        after.ShouldBe(PortalResult.PeerClosed);
        survivor!.Stats.LinksLost.ShouldBe(1);
        k.Frames.UserCount.ShouldBe(0);
        k.LiveNotifications.ShouldBe(0);
    }
}
