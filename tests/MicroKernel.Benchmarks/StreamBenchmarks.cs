using BenchmarkDotNet.Attributes;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Benchmarks;

/// <summary>
/// A 1 MiB packet (docs/streams.md) passed by reference inside one memory domain (pool, multicast, FIFO, consumer,
/// release) against the same packet copied across a memory boundary (the source copies it into an owned segment
/// and sends it; the destination's handler copies it into a packet of its own pool and sends the segment back).
/// The memory diagnoser's Allocated column is the per-packet allocation: 0 B in steady state by reference (the
/// descriptors come from an object pool). The kernel stays up across invocations.
/// </summary>
[BenchmarkCategory("streams")]
public class StreamBenchmarks
{
    private const int Rounds = 8;
    private const ulong PacketBytes = 1UL << 20;
    private static readonly PacketLayout Layout = new(PacketBytes, 64, StreamAccess.Read | StreamAccess.Write, SyncRequirement.None);
    private ResidentProgram? _inDomain, _boundary;

    [GlobalSetup]
    public void Setup()
    {
        _inDomain = new ResidentProgram(sys =>
        {
            var pool = PacketPool.Create(sys, "bench", Layout, 2);
            var display = new FifoQueue(2);
            var multicast = new Multicast(display);
            ulong sequence = 0;
            return () =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    pool.TryAcquire(out Packet p);
                    p.Sequence = ++sequence;
                    p.Length = PacketBytes;
                    sys.Memory.WriteUInt64(p.Address, sequence);
                    multicast.Push(p);
                    display.TryPop(out Packet shown);
                    sys.Memory.ReadUInt64(shown.Address);
                    shown.Release();
                }
            };
        }, frames: 1024, BenchKernels.DefaultAccessesPerTick);

        _boundary = new ResidentProgram(sys =>
        {
            BoundarySource? source = null;
            sys.RegisterSegmentHandler((_, m) => { source?.OnSegment(m); return 0; });
            var pool = PacketPool.Create(sys, "bench", Layout, 2);
            Notification.OpenWhenCreated(sys, "peer-ready").Wait();
            source = BoundarySource.Connect(sys, "bench", 2, Layout, 1);
            ulong sequence = 0;
            return () =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    pool.TryAcquire(out Packet p);
                    p.Sequence = ++sequence;
                    p.Length = PacketBytes;
                    sys.Memory.WriteUInt64(p.Address, sequence);
                    source.Push(p);
                    while (source.Away > 0) sys.Yield(); // the destination copied it and gave the segment back
                }
            };
        }, frames: 2048, BenchKernels.DefaultAccessesPerTick, peer: sys =>
        {
            var pool = PacketPool.Create(sys, "peer", Layout, 2);
            var fifo = new FifoQueue(2);
            var destination = new BoundaryDestination("bench", pool, fifo);
            sys.RegisterSegmentHandler((s, m) => destination.OnSegment(s, m));
            Notification.Create(sys, "peer-ready").Notify();
            while (true)
            {
                while (fifo.TryPop(out Packet p)) p.Release();
                sys.Pause();
            }
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _inDomain?.Dispose();
        _boundary?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rounds)]
    public void ByReference() => _inDomain!.RunBatch();

    [Benchmark(OperationsPerInvoke = Rounds)]
    public void CopiedAcrossBoundary() => _boundary!.RunBatch();
}
