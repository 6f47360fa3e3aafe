using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MicroKernel.Processes;
using MicroKernel.Tracing;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Portals;
using MicroKernel.Userland.Services.Queue;

namespace MicroKernel.Benchmarks;

/// <summary>
/// Portals (docs/portals.md), all in one run: the same 16 bytes' round trip through a portal pair across two nodes
/// (the receiver waiting in a trap, or busy polling), through the queue server (the baseline) and through RPC;
/// opening 100,000 portal pairs in one node, and 100,000 pairs between two nodes (one end sent to the other node,
/// whose route then reduces to the pool hop); and the seed's A/B/C route from B's transfer until a parcel crosses
/// B-C in one hop. The Counted column (<see cref="PortalFiguresColumn"/>) adds what is counted rather than timed:
/// kernel entries per parcel, the heap a pair keeps, the route's hops before and after.
/// </summary>
[Config(typeof(WithPortalFigures))]
[BenchmarkCategory("portals")]
public class PortalBenchmarks
{
    private const int RoundTrips = 2_000;
    internal const int Pairs = 100_000;

    /// <summary>Adds the Counted column to this class's summary.</summary>
    public sealed class WithPortalFigures : ManualConfig
    {
        /// <summary>The column, on top of the default configuration.</summary>
        public WithPortalFigures() => AddColumn(new PortalFiguresColumn());
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public long QueueServerRoundTrip() => Run(QueueServerKernel(RoundTrips));

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public long RpcRoundTrip() => Run(RpcKernel(RoundTrips));

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public long PortalRoundTripWaiting() => Run(PortalKernel(RoundTrips, busy: false));

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public long PortalRoundTripBusy() => Run(PortalKernel(RoundTrips, busy: true));

    /// <summary>The reference for the next one: <see cref="Pairs"/> pairs opened in one node, both ends kept there.</summary>
    [Benchmark(OperationsPerInvoke = Pairs)]
    public long OpenPairsInOneNode() => Run(OneNodePairsKernel(Pairs, measure: null));

    /// <summary>
    /// Node 1 opens <see cref="Pairs"/> pairs and sends one end of each to node 2 (8 per parcel); node 2 answers once
    /// it holds them all. Each pair's route reduces to the pool hop meanwhile (the proxy node 1 kept drops out).
    /// </summary>
    [Benchmark(OperationsPerInvoke = Pairs)]
    public long OpenPairsBetweenTwoNodes() => Run(TwoNodePairsKernel(Pairs, measure: null));

    /// <summary>
    /// The seed's picture: B opens a pair and sends one end to A, which forwards it to C (B's portal is then 3 hops
    /// from C); B and C ping-pong until B's ping reaches C in one hop, then all leave. From boot to exit, so it
    /// includes three nodes' boot and bootstrap: the Counted column gives the simulated time from the transfer.
    /// </summary>
    [Benchmark]
    public long RouteUntilDirect() => Run(RouteKernel(null));

    /// <summary>A queue server and a client that sends and receives <paramref name="roundTrips"/> 16-byte items.</summary>
    internal static Kernel QueueServerKernel(int roundTrips)
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, 128));
        k.Spawn(new ManagedProgram("queue-server", () => new QueueServer()), "server", out _, arguments: ["bench", "4", "16", "slot"]);
        Spawn(k, "client", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "bench");
            var item = new byte[16];
            for (int i = 0; i < roundTrips; i++)
                if (q.Send(item) != Syscalls.ErrorCode.Ok || q.Receive(item) != Syscalls.ErrorCode.Ok) return 1;
            q.Shutdown();
            return 0;
        });
        return k;
    }

    /// <summary>An RPC server (a + b) and a client that calls it <paramref name="roundTrips"/> times (16 bytes in).</summary>
    internal static Kernel RpcKernel(int roundTrips)
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, 128));
        RpcHandle<IEcho> handle = default;
        Spawn(k, "echo", sys =>
        {
            handle = Rpc.Export<IEcho>(new Echo(), "echo");
            sys.Sleep(1L << 39);
            return 0;
        });
        Spawn(k, "client", sys =>
        {
            while (Rpc.TryLookup("echo") < 0) sys.Yield();
            long sum = 0;
            for (int i = 0; i < roundTrips; i++) sum += Rpc.CallRaw(handle.Id, 0, 2, (ulong)i, 1);
            return sum > 0 ? 0 : 1;
        });
        return k;
    }

    /// <summary>
    /// Two nodes and their first pair: ping puts 16 bytes, pong puts them back, <paramref name="roundTrips"/> times;
    /// each reads by waiting in a trap, or (<paramref name="busy"/>) by polling, so it never blocks.
    /// </summary>
    internal static Kernel PortalKernel(int roundTrips, bool busy)
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, 128));
        Spawn(k, "ping", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(2);
            var item = new byte[16];
            for (int i = 0; i < roundTrips; i++)
            {
                if (node.Put(p, item) != PortalResult.Ok) return 1;
                if (Receive(node, p, busy) is null) return 1;
            }
            node.Close(p);
            node.Flush();
            return 0;
        });
        Spawn(k, "pong", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(1);
            while (Receive(node, p, busy) is { } parcel)
                if (node.Put(p, parcel.Bytes) != PortalResult.Ok) return 1;
            return 0;
        });
        return k;
    }

    /// <summary>
    /// One node opens <paramref name="pairs"/> pairs and keeps them; <paramref name="measure"/> runs before the first
    /// and after the last.
    /// </summary>
    internal static Kernel OneNodePairsKernel(int pairs, Action? measure)
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, 64));
        Spawn(k, "a", sys =>
        {
            Node node = Node.Create(sys);
            measure?.Invoke();
            for (int i = 0; i < pairs; i++) node.OpenPair();
            measure?.Invoke();
            return node.OpenPortals == 2 * pairs ? 0 : 1;
        });
        return k;
    }

    /// <summary>
    /// Node 1 opens <paramref name="pairs"/> pairs and sends one end of each to node 2; <paramref name="measure"/> runs
    /// at node 1 before the first, and at node 2 once it holds every end (node 1 waits for its answer meanwhile, every
    /// pair still open).
    /// </summary>
    internal static Kernel TwoNodePairsKernel(int pairs, Action? measure)
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, 256));
        Spawn(k, "a", sys =>
        {
            Node node = Node.Create(sys);
            Portal toB = node.Connect(2);
            measure?.Invoke();
            var batch = new Portal[PortalsProtocol.MaxParcelPortals];
            for (int i = 0; i < pairs; i += batch.Length)
            {
                for (int j = 0; j < batch.Length; j++) (_, batch[j]) = node.OpenPair();
                while (node.Put(toB, [], batch) == PortalResult.PoolFull) node.Flush(1);
            }
            // Stay (proxying until each route reduced) until node 2 says it holds every end.
            if (Receive(node, toB, busy: false) is null) return 1;
            node.Close(toB);
            node.Flush();
            return node.OpenPortals == pairs ? 0 : 1;
        });
        Spawn(k, "b", sys =>
        {
            Node node = Node.Create(sys);
            Portal toA = node.Connect(1);
            int got = 0;
            while (got < pairs && Receive(node, toA, busy: false) is { } p) got += p.Portals.Count;
            measure?.Invoke();
            if (node.Put(toA, [1]) != PortalResult.Ok) return 1;
            node.Flush();
            bool all = got == pairs && node.OpenPortals == pairs + 1; // and toA
            while (Receive(node, toA, busy: false) is not null) { }
            return all ? 0 : 1;
        });
        return k;
    }

    /// <summary>What <see cref="RouteKernel"/> saw: hops of the route at the transfer, round trips and ticks until direct.</summary>
    internal sealed class RouteFigures
    {
        /// <summary>Proxies on the route when C got the portal, plus one: the route's hops then.</summary>
        public int HopsBefore { get; set; }

        /// <summary>Hops of the last ping (1 once the route is direct).</summary>
        public int HopsAfter { get; set; }

        /// <summary>Round trips B made until its ping crossed in one hop.</summary>
        public int RoundTrips { get; set; }

        /// <summary>Simulated ticks from B's transfer until then.</summary>
        public long Ticks { get; set; }
    }

    /// <summary>The seed's A/B/C picture, until B's ping reaches C in one hop (<see cref="RouteUntilDirect"/>).</summary>
    internal static Kernel RouteKernel(RouteFigures? figures)
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, 256));
        Node? a = null, b = null;
        Spawn(k, "A", sys =>
        {
            Node node = a = Node.Create(sys);
            Portal toB = node.Connect(2), toC = node.Connect(3);
            if (Receive(node, toB, busy: false) is not { Portals.Count: 1 } carrier) return 1;
            if (node.Put(toC, [], [carrier.Portals[0]]) != PortalResult.Ok) return 1;
            while (Receive(node, toB, busy: false) is not null || Receive(node, toC, busy: false) is not null) { }
            return node.Proxies == 0 ? 0 : 1;
        });
        Spawn(k, "B", sys =>
        {
            Node node = b = Node.Create(sys);
            Portal toA = node.Connect(1);
            (Portal mine, Portal theirs) = node.OpenPair();
            long start = figures is null ? 0 : sys.Time;
            if (node.Put(toA, [], [theirs]) != PortalResult.Ok) return 1;
            int rounds = 0, hops = 0;
            while (hops != 1)
            {
                if (node.Put(mine, [0]) != PortalResult.Ok || Receive(node, mine, busy: false) is not { } echo) return 1;
                hops = echo.Bytes[0]; // the hops B's ping took to C
                rounds++;
            }
            if (figures is not null)
            {
                figures.Ticks = sys.Time - start;
                figures.RoundTrips = rounds;
                figures.HopsAfter = hops;
            }
            node.Close(mine);
            node.Close(toA);
            node.Flush();
            return 0;
        });
        Spawn(k, "C", sys =>
        {
            Node node = Node.Create(sys);
            Portal toA = node.Connect(1);
            if (Receive(node, toA, busy: false) is not { Portals.Count: 1 } carrier) return 1;
            Portal fromB = carrier.Portals[0];
            // Right at arrival (before any parcel moved the bypasses on): the proxies of B and A are still there.
            if (figures is not null) figures.HopsBefore = 1 + a!.Proxies + b!.Proxies;
            while (Receive(node, fromB, busy: false) is { } ping)
                if (node.Put(fromB, [(byte)ping.Hops]) != PortalResult.Ok) return 1;
            node.Close(fromB);
            node.Close(toA);
            node.Flush();
            return 0;
        });
        return k;
    }

    private static Parcel? Receive(Node node, Portal p, bool busy)
    {
        while (true)
        {
            PortalResult r = node.Get(p, out Parcel? parcel);
            if (r == PortalResult.Ok) return parcel;
            if (r == PortalResult.PeerClosed) return null;
            if (!busy) node.Wait([p]);
        }
    }

    private static void Spawn(Kernel k, string name, Func<Sys, long> main) =>
        k.Spawn(new ManagedProgram(name, () => new Lambda(main)), name, out Process? _);

    /// <summary>Runs <paramref name="k"/> to the end; throws unless every process exited with 0.</summary>
    internal static long Run(Kernel k)
    {
        RunResult r = k.Run();
        if (r.Outcome != RunOutcome.Completed || k.Processes.Any(p => p.ExitStatus != 0))
            throw new InvalidOperationException($"portals benchmark ended {r.Outcome}: {string.Join(", ", k.Processes.Select(p => $"{p.Name} {p.ExitStatus} {string.Join("; ", p.Faults)}"))}");
        k.Dispose();
        return 0;
    }

    /// <summary>The RPC contract of the comparison.</summary>
    public interface IEcho
    {
        /// <summary>a + b (16 bytes in, 8 out).</summary>
        long Add(long a, long b);
    }

    private sealed class Echo : IEcho
    {
        public long Add(long a, long b) => a + b;
    }

    private sealed class Lambda(Func<Sys, long> main) : UserProgram
    {
        public override long Main(Sys sys) => main(sys);
    }
}
