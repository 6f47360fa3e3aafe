using System.Text;
using CsCheck;
using MicroKernel.Scheduling;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Portals;
using static MicroKernel.Tests.Portals.PortalNodeTests;

namespace MicroKernel.Tests.Portals;

/// <summary>
/// Seeded random transfer chains over 3-6 nodes (<see cref="PortalPlan"/>), traffic both ways while E1 travels and
/// the route reduces: every parcel arrives exactly once and in order, and the route ends one hop long; no frame and no
/// notification object outlives the nodes; with CsCheck, random plans with longer chains, early closes and node
/// deaths: what arrived must then be a prefix, and nothing may hang.
/// </summary>
public class PortalPropertyTests
{
    private sealed class Results
    {
        public List<string> Errors { get; } = [];
        public int E0Received { get; set; } = -1;
        public int E1Sent { get; set; } = -1;
        public int FinalReceived { get; set; } = -1;
        public bool OneHop { get; set; }
        public Dictionary<int, Node> Nodes { get; } = [];
    }

    [Fact]
    public void Seeded_plans_deliver_exactly_once_in_order_and_end_one_hop_long()
    {
        for (ulong seed = 1; seed <= 40; seed++) Check(PortalPlan.From(3 + (int)(seed % 4), seed), seed);
    }

    /// <summary>
    /// Plans 2, 19, 25 and 31 of the series above used to deadlock: a node's peer put E1 into their first pair before
    /// this node's application had called Connect for that peer, the message found no portal and was dropped with E1
    /// in it, and the proxy left behind waited forever for a StopProxying that could not come. Now the link waits.
    /// </summary>
    [Theory]
    [InlineData(2UL)]
    [InlineData(19UL)]
    [InlineData(25UL)]
    [InlineData(31UL)]
    public void A_parcel_put_before_the_receiver_connected_waits_for_its_portal(ulong seed) =>
        Check(PortalPlan.From(3 + (int)(seed % 4), seed), seed);

    [Theory]
    [InlineData(5, 1UL)]
    [InlineData(6, 42UL)]
    [InlineData(4, 7UL)]
    public void Chosen_plans_hold_too(int nodes, ulong seed) => Check(PortalPlan.From(nodes, seed), seed);

    /// <summary>
    /// The property, with CsCheck: random plans (<see cref="PortalPlan.Random"/>: chains of up to 6 transfers across
    /// 3-6 nodes, traffic both ways, E0 closing early, a node dying) deliver every parcel exactly once and in order,
    /// or break the route cleanly (nothing hangs, what arrived is a prefix); with no death the route ends one hop
    /// long. A failure shrinks to a small plan and prints it with CsCheck's seed. CI runs 40 plans; set
    /// MK_PORTALS_ITER (e.g. 5000) for a long run and MK_PORTALS_SEED to replay a printed seed.
    /// </summary>
    [Fact]
    public void Random_plans_deliver_exactly_once_in_order_or_break_cleanly()
    {
        long iter = long.TryParse(Environment.GetEnvironmentVariable("MK_PORTALS_ITER"), out long n) ? n : 40;
        if (ulong.TryParse(Environment.GetEnvironmentVariable("MK_PORTALS_BASE"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong baseSeed))
        {
            RunSeries(baseSeed, iter);
            return;
        }
        PortalPlan.Random.Sample(x => Check(x.Plan, x.Seed), seed: Environment.GetEnvironmentVariable("MK_PORTALS_SEED"),
            iter: iter, print: x => x.Plan + ", kernel seed " + x.Seed.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// A long run that can be repeated (MK_PORTALS_BASE set): plan i comes from CsCheck's generator on the PCG stream
    /// seeded with base + i, one at a time; a failing plan is printed with the CsCheck seed that MK_PORTALS_SEED
    /// replays (and shrinks), and the run goes on, so one run counts every failure. Progress and failures go to the
    /// file MK_PORTALS_OUT names (xunit keeps a test's stdout to itself), else to stdout.
    /// </summary>
    private static void RunSeries(ulong baseSeed, long iter)
    {
        var failures = new List<string>();
        string? outFile = Environment.GetEnvironmentVariable("MK_PORTALS_OUT");
        void Report(string line)
        {
            if (outFile is null) Console.WriteLine(line);
            else File.AppendAllText(outFile, line + "\n");
        }
        for (long i = 0; i < iter; i++)
        {
            var pcg = new PCG(0, baseSeed + (ulong)i);
            string seed = pcg.ToString();
            (PortalPlan plan, ulong kernelSeed) = PortalPlan.Random.Generate(pcg, null, out _);
            try
            {
                Check(plan, kernelSeed);
            }
            catch (Exception e)
            {
                string line = $"plan {i} FAILED, MK_PORTALS_SEED={seed}: {plan}, kernel seed {kernelSeed}: {string.Join(" / ", e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(4))}";
                failures.Add(line);
                Report(line);
            }
            if ((i + 1) % 500 == 0) Report($"portals series base {baseSeed}: {i + 1} plans, {failures.Count} failed");
        }
        Report($"portals series base {baseSeed}: {iter} plans, {failures.Count} failed");
        failures.ShouldBeEmpty();
    }

    // Plans CsCheck found failing (named by the seed it printed), kept as regression tests.
    private static readonly Dictionary<string, (PortalPlan Plan, ulong Seed)> Found = new()
    {
        // A BypassWith for E1's router at pid 5 was dropped: see docs/portals.md#limits.
        ["2rKcIKFoqNL4"] = (new PortalPlan(5, [(1, 2), (1, 3), (1, 4), (1, 5), (2, 5), (3, 4), (3, 5), (4, 5)], 3, [3, 4, 5], [3, 3, 2], 8, 0, PortalPlan.Death.None), 550864),
        // A node died while another was in the middle of a send: the failed signal broke the routes of the dead link
        // at once, under the router being sent (its proxy lost its inward hop: a NullReferenceException in node 6), or
        // under a read (the three runs that never completed). Now a failed signal only marks the peers for the next
        // pump (docs/portals.md#death).
        ["cF0xSY_ChiB2"] = (new PortalPlan(6, [(1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (2, 4), (2, 6), (3, 4), (3, 6), (4, 6)], 3, [3, 6, 2], [1, 3, 1], 9, 1, PortalPlan.Death.Early) { E0ClosesEarly = true }, 592161),
        ["90BkA2hanWT1"] = (new PortalPlan(6, [(1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (2, 5), (2, 6), (3, 6), (4, 5), (4, 6)], 6, [6, 3, 1], [0, 0, 1], 1, 1, PortalPlan.Death.Holding), 873404),
        ["fxkViP1sSVi2"] = (new PortalPlan(3, [(1, 2), (1, 3), (2, 3)], 3, [3, 1, 2, 1], [3, 2, 3, 0], 2, 2, PortalPlan.Death.Holding), 93750),
        // The long run of 2026-12-05 (MK_PORTALS_BASE=20261205: plans 6075, 13414 and 14258 of 20,000 hung; E1 passes
        // a node twice). A proxy R adopted a bypass's new hop and, its old outward hop still draining, bypassed
        // itself at once: after its own StopProxying (new hop) it said ProxyDone inward, and then forwarded a parcel
        // that came late by the old hop; the inward router had dropped that hop: lost parcel, hang. Now a proxy
        // locks only once nothing drains. That fix alone hung bb3ZFt2naXR2 (CsCheck, at once): there the ProxyDone
        // for R's outward hop came before the BypassWith that makes it an old hop, so it never drained; now R notes
        // it (Router.DoneBeforeBypass) and drops the hop when it adopts. 0000001dm480 needs both.
        ["0000001dk4h0"] = (new PortalPlan(3, [(1, 2), (1, 3), (2, 3)], 1, [1, 2, 3, 2, 3, 2, 3], [2, 1, 2, 3, 0, 3, 1], 9, 0, PortalPlan.Death.None) { E0ClosesEarly = true }, 871134),
        ["0000001dlSY0"] = (new PortalPlan(5, [(1, 2), (1, 3), (1, 4), (1, 5), (3, 4), (4, 5)], 1, [1, 3, 4, 3, 4], [2, 3, 0, 0, 1], 7, 0, PortalPlan.Death.None), 271712),
        ["0000001dm480"] = (new PortalPlan(4, [(1, 2), (1, 3), (1, 4), (2, 4), (3, 4)], 3, [3, 1, 4, 2, 4, 1], [2, 1, 3, 2, 1, 0], 5, 0, PortalPlan.Death.None), 131966),
        ["bb3ZFt2naXR2"] = (new PortalPlan(6, [(1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (2, 3), (2, 5), (3, 5), (4, 5)], 2, [2, 1, 3, 5], [3, 0, 2, 0], 2, 0, PortalPlan.Death.None), 113961),
        ["fWL6EoqMsCq1"] = (new PortalPlan(3, [(1, 2), (1, 3), (2, 3)], 1, [1, 3, 2, 3, 2], [2, 2, 2, 1, 2], 5, 2, PortalPlan.Death.Holding), 141604),
    };

    /// <summary>The names of the plans CsCheck found.</summary>
    public static TheoryData<string> FoundPlans() => [.. Found.Keys.Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(FoundPlans))]
    public void Plans_found_by_CsCheck_hold(string name) => Check(Found[name].Plan, Found[name].Seed);

    private static void Check(PortalPlan plan, ulong seed)
    {
        var k = new Kernel(new KernelConfig { Frames = 1024, Seed = seed, Policy = seed % 2 == 0 ? PolicyKind.Random : PolicyKind.RoundRobin, MaxTicks = 400_000 });
        var res = new Results();
        for (int pid = 1; pid <= plan.Nodes; pid++)
        {
            int me = pid;
            k.Spawn("node" + me, sys =>
            {
                try
                {
                    return RunNode(sys, plan, me, res);
                }
                catch (Exception e) when (e is not Processes.ThreadTerminatedException)
                {
                    // The fault names only the exception's type: keep where it came from for the failure message.
                    lock (res) res.Errors.Add($"node {me}: {e}");
                    throw;
                }
            });
        }
        RunResult r = k.Run();
        string why = plan + "\n" + k.ConsoleOutput + "\n" + string.Join("\n", k.Processes.SelectMany(p => p.Faults.Select(f => $"{p.Name}: {f}"))) + "\n" + string.Join("\n", res.Errors) + "\n" + string.Join("\n", res.Nodes.Values.SelectMany(n => n.Describe().Append($"pid {n.Pid}: dropped {n.Stats.Dropped}, lost {n.Stats.LinksLost}, removed {n.Stats.ProxiesRemoved}, waits {n.Stats.Waits}")));
        r.Outcome.ShouldBe(RunOutcome.Completed, why);
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0, why);
        res.Errors.ShouldBeEmpty(why);
        res.Nodes.Values.ShouldAllBe(n => n.Stats.Duplicates == 0, why);
        res.E0Received.ShouldBeGreaterThanOrEqualTo(0, why);
        if (plan.DiesWhen == PortalPlan.Death.None && plan.E0ClosesEarly)
        {
            // E0 put everything before it closed: all of it arrives, in order, then E1 sees the peer closed.
            res.FinalReceived.ShouldBe(plan.E0Parcels, why);
            res.E1Sent.ShouldBeLessThanOrEqualTo(plan.Bursts.Sum(), why);
        }
        else if (plan.DiesWhen == PortalPlan.Death.None)
        {
            res.E0Received.ShouldBe(plan.Bursts.Sum(), why);
            res.E1Sent.ShouldBe(plan.Bursts.Sum(), why);
            res.FinalReceived.ShouldBe(plan.E0Parcels, why);
            res.OneHop.ShouldBeTrue("with no death the route reduces to one hop: " + why);
        }
        else res.E0Received.ShouldBeLessThanOrEqualTo(plan.Bursts.Sum(), why);
        k.Frames.UserCount.ShouldBe(0, why);
        k.LiveNotifications.ShouldBe(0, why);
    }

    private static long RunNode(Sys sys, PortalPlan plan, int me, Results res)
    {
        Node node = Node.Create(sys);
        if (Environment.GetEnvironmentVariable("MK_PORTALS_LOG") is { } logDir) node.MessageLog = t => { lock (res) File.AppendAllText(Path.Combine(logDir, "portals.log"), t + "\n"); };
        lock (res) res.Nodes[me] = node;
        var links = new SortedDictionary<int, Portal>();
        foreach (int peer in plan.PeersOf(me)) links[peer] = node.Connect(peer);
        bool victim = plan.Victim == me;
        if (victim && plan.DiesWhen == PortalPlan.Death.Early) sys.Exit(9);
        if (me == plan.Home)
        {
            (Portal e0, Portal e1) = node.OpenPair();
            Step(sys, node, plan, res, links, 0, e1, 0, 0);
            E0Loop(node, plan, res, e0);
        }
        else
        {
            for (int i = 1; i < plan.Chain.Count; i++)
            {
                if (plan.Chain[i] != me) continue;
                if (Next(node, links[plan.Chain[i - 1]]) is not { Portals.Count: 1 } carrier)
                {
                    // The chain broke before us (a node died): tell the next holders, which wait for E1.
                    for (int j = i; j < plan.Chain.Count - 1; j++)
                        if (plan.Chain[j] == me) node.Put(links[plan.Chain[j + 1]], "broken"u8);
                    break;
                }
                int expected0 = BitConverter.ToInt32(carrier.Bytes, 0), sent1 = BitConverter.ToInt32(carrier.Bytes, 4);
                Step(sys, node, plan, res, links, i, carrier.Portals[0], expected0, sent1);
            }
        }
        Barrier(node, me, links);
        return 0;
    }

    // E1 at chain position i: put this position's burst, read what arrived, then send E1 on (or, at the end, read
    // everything E0 sends, ping until a round trip takes one hop each way, and close).
    private static void Step(Sys sys, Node node, PortalPlan plan, Results res, SortedDictionary<int, Portal> links, int i, Portal e1, int expected0, int sent1)
    {
        for (int b = 0; b < plan.Bursts[i]; b++)
        {
            PortalResult put;
            while ((put = node.Put(e1, Encoding.UTF8.GetBytes($"1:{sent1}"))) == PortalResult.PoolFull) node.Flush(1);
            if (put != PortalResult.Ok) break;
            sent1++;
        }
        while (node.Get(e1, out Parcel? p) == PortalResult.Ok) expected0 = Expect(res, p!, "0:", expected0);
        bool first = i >= 1 && plan.Chain.Skip(1).ToList().IndexOf(plan.Chain[i]) + 1 == i; // the victim dies at its first visit
        if (plan.Victim == plan.Chain[i] && plan.DiesWhen == PortalPlan.Death.Holding && first) sys.Exit(9);
        if (i < plan.Chain.Count - 1)
        {
            PortalResult sent;
            while ((sent = node.Put(links[plan.Chain[i + 1]], [.. BitConverter.GetBytes(expected0), .. BitConverter.GetBytes(sent1)], [e1])) == PortalResult.PoolFull) node.Flush(1);
            if (sent == PortalResult.PeerClosed) node.Close(e1); // the next holder died: E1 goes no further
            if (plan.Victim == plan.Chain[i] && plan.DiesWhen == PortalPlan.Death.AfterForwarding && first)
            {
                node.Flush(8);
                sys.Exit(9);
            }
            return;
        }
        bool broken = false;
        while (expected0 < plan.E0Parcels)
        {
            if (Next(node, e1) is not { } p)
            {
                broken = true;
                break;
            }
            expected0 = Expect(res, p, "0:", expected0);
        }
        bool oneHop = false;
        for (int round = 0; round < 40 && !broken && !oneHop; round++)
        {
            if (node.Put(e1, "p"u8) != PortalResult.Ok) break;
            if (Next(node, e1) is not { } q) break;
            string text = Encoding.UTF8.GetString(q.Bytes);
            oneHop = text == "q:1" && q.Hops == 1;
        }
        lock (res)
        {
            res.E1Sent = sent1;
            res.FinalReceived = expected0;
            res.OneHop = oneHop;
        }
        node.Close(e1);
    }

    // E0 stays home: puts its parcels while reading E1's, answers pings with the ping's hop count, until E1 closes.
    private static void E0Loop(Node node, PortalPlan plan, Results res, Portal e0)
    {
        int sent0 = 0, expected1 = 0;
        if (plan.E0ClosesEarly)
        {
            while (sent0 < plan.E0Parcels)
            {
                PortalResult put = node.Put(e0, Encoding.UTF8.GetBytes($"0:{sent0}"));
                if (put == PortalResult.PoolFull) node.Flush(1);
                else if (put != PortalResult.Ok) break;
                else sent0++;
            }
            lock (res) res.E0Received = 0;
            node.Close(e0);
            return;
        }
        while (true)
        {
            if (sent0 < plan.E0Parcels)
            {
                PortalResult put = node.Put(e0, Encoding.UTF8.GetBytes($"0:{sent0}"));
                if (put == PortalResult.Ok) sent0++;
                else if (put == PortalResult.PeerClosed) sent0 = plan.E0Parcels;
            }
            PortalResult got = node.Get(e0, out Parcel? p);
            if (got == PortalResult.PeerClosed) break;
            if (got == PortalResult.Empty)
            {
                if (sent0 >= plan.E0Parcels) node.Wait([e0]);
                continue;
            }
            string text = Encoding.UTF8.GetString(p!.Bytes);
            if (text == "p") node.Put(e0, Encoding.UTF8.GetBytes($"q:{p.Hops}"));
            else expected1 = Expect(res, p, "1:", expected1);
        }
        lock (res) res.E0Received = expected1;
        node.Close(e0);
    }

    private static int Expect(Results res, Parcel p, string prefix, int expected)
    {
        string text = Encoding.UTF8.GetString(p.Bytes);
        if (text != prefix + expected.ToString(CultureInfo.InvariantCulture))
            lock (res) res.Errors.Add($"expected {prefix}{expected}, got '{text}' (sequence {p.Sequence})");
        return expected + 1;
    }

    // Every node waits for all: node 1 collects "done" from each peer (or its death), then tells all; so no node
    // exits (taking a proxy of a live route with it) before every script is over.
    private static void Barrier(Node node, int me, SortedDictionary<int, Portal> links)
    {
        if (me == 1)
        {
            foreach (Portal p in links.Values)
                while (Next(node, p) is { } m && Encoding.UTF8.GetString(m.Bytes) != "done") { }
            foreach (Portal p in links.Values) node.Put(p, "all done"u8);
        }
        else if (links.TryGetValue(1, out Portal toBroker))
        {
            node.Put(toBroker, "done"u8);
            while (Next(node, toBroker) is { } m && Encoding.UTF8.GetString(m.Bytes) != "all done") { }
        }
        foreach (Portal p in links.Values) node.Close(p);
        node.Flush();
    }
}
