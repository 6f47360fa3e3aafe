using BenchmarkDotNet.Attributes;
using MicroKernel.Processes;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Portals;
using MicroKernel.Userland.Services.Queue;

namespace MicroKernel.Benchmarks;

/// <summary>
/// Portals (docs/portals.md), all in one run: the same 16 bytes' round trip through a portal pair across two nodes
/// (the receiver waiting in a trap, or busy polling), through the queue server (the baseline) and through RPC;
/// opening 100,000 portal pairs between two nodes (time and bytes allocated per pair: MemoryDiagnoser); and the
/// seed's A/B/C route from the transfer until a parcel crosses it in one hop (3 hops -> 1).
/// </summary>
[BenchmarkCategory("portals")]
public class PortalBenchmarks
{
    private const int RoundTrips = 2_000;
    private const int Pairs = 100_000;

    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public long QueueServerRoundTrip()
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, 128));
        k.Spawn(new ManagedProgram("queue-server", () => new QueueServer()), "server", out _, arguments: ["bench", "4", "16", "slot"]);
        Spawn(k, "client", sys =>
        {
            QueueClient q = QueueClient.Connect(sys, 1, "bench");
            var item = new byte[16];
            for (int i = 0; i < RoundTrips; i++)
                if (q.Send(item) != Syscalls.ErrorCode.Ok || q.Receive(item) != Syscalls.ErrorCode.Ok) return 1;
            q.Shutdown();
            return 0;
        });
        return Run(k);
    }

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public long RpcRoundTrip()
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
            for (int i = 0; i < RoundTrips; i++) sum += Rpc.CallRaw(handle.Id, 0, 2, (ulong)i, 1);
            return sum > 0 ? 0 : 1;
        });
        return Run(k);
    }

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public long PortalRoundTripWaiting() => PortalRoundTrip(busy: false);

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public long PortalRoundTripBusy() => PortalRoundTrip(busy: true);

    /// <summary>
    /// Node 1 opens <see cref="Pairs"/> pairs and sends one end of each to node 2 (8 per parcel); node 2 answers once
    /// it holds them all. Each pair's route reduces to the pool hop meanwhile (the proxy node 1 kept drops out).
    /// </summary>
    [Benchmark(OperationsPerInvoke = Pairs)]
    public long OpenPairsBetweenTwoNodes()
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, 256));
        Spawn(k, "a", sys =>
        {
            Node node = Node.Create(sys);
            Portal toB = node.Connect(2);
            var batch = new Portal[PortalsProtocol.MaxParcelPortals];
            for (int i = 0; i < Pairs; i += batch.Length)
            {
                for (int j = 0; j < batch.Length; j++) (_, batch[j]) = node.OpenPair();
                while (node.Put(toB, [], batch) == PortalResult.PoolFull) node.Flush(1);
            }
            // Stay (proxying until each route reduced) until node 2 says it holds every end.
            if (Receive(node, toB, busy: false) is null) return 1;
            node.Close(toB);
            node.Flush();
            return node.OpenPortals == Pairs ? 0 : 1;
        });
        Spawn(k, "b", sys =>
        {
            Node node = Node.Create(sys);
            Portal toA = node.Connect(1);
            int got = 0;
            while (got < Pairs && Receive(node, toA, busy: false) is { } p) got += p.Portals.Count;
            if (node.Put(toA, [1]) != PortalResult.Ok) return 1;
            node.Flush();
            bool all = got == Pairs && node.OpenPortals == Pairs + 1; // and toA
            while (Receive(node, toA, busy: false) is not null) { }
            return all ? 0 : 1;
        });
        return Run(k);
    }

    /// <summary>The seed's picture (scenario <c>portals</c>): from B's transfer until a parcel crosses B-C in one hop.</summary>
    [Benchmark]
    public long RouteReductionUntilDirect()
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, 256));
        k.Spawn(new ManagedProgram("a", () => new Userland.Examples.PortalsNodeProgram()), "A", out _, arguments: ["A"]);
        k.Spawn(new ManagedProgram("b", () => new Userland.Examples.PortalsNodeProgram()), "B", out _, arguments: ["B", "3"]);
        k.Spawn(new ManagedProgram("c", () => new Userland.Examples.PortalsNodeProgram()), "C", out _, arguments: ["C", "3"]);
        RunResult r = k.Run();
        if (r.Outcome != RunOutcome.Completed || k.Processes.Any(p => p.ExitStatus != 0)) throw new InvalidOperationException($"portals route benchmark ended {r.Outcome}");
        return 0;
    }

    private static long PortalRoundTrip(bool busy)
    {
        var k = new Kernel(BenchKernels.Config(BenchKernels.DefaultAccessesPerTick, 128));
        Spawn(k, "ping", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(2);
            var item = new byte[16];
            for (int i = 0; i < RoundTrips; i++)
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
        return Run(k);
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

    private static long Run(Kernel k)
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
