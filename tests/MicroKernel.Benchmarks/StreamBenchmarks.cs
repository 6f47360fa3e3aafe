using BenchmarkDotNet.Attributes;
using MicroKernel.Memory;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Benchmarks;

/// <summary>
/// A 1 MiB packet (docs/streams.md) passed by reference inside one memory domain against the same packet copied
/// across a memory boundary, under paging and both MPU models. By reference twice: inside one process (pool,
/// multicast, FIFO, consumer, release) and to another process of the same domain, as the streams scenario's
/// display gets it (the pool in an unsafe segment both map; the descriptor goes through the published ring and a
/// notification, the consumer reads the buffer in place and its index comes back through the released ring). Across
/// a boundary: the source copies the payload into an owned segment and sends it; the destination's handler copies
/// it into a packet of its own pool and sends the segment back. The memory diagnoser's Allocated column is the
/// per-packet allocation (0 B in steady state: descriptors and kernel messages come from object pools). The kernel
/// stays up across invocations.
/// </summary>
[BenchmarkCategory("streams")]
public class StreamBenchmarks
{
    private const int Rounds = 8;
    private const ulong PacketBytes = 1UL << 20;
    private static readonly PacketLayout Layout = new(PacketBytes, 64, StreamAccess.Read | StreamAccess.Write, SyncRequirement.None);
    private ResidentProgram? _inDomain, _shared, _boundary;

    /// <summary>The memory protection model: paging, ARMv7-M's MPU, ARMv8-M's MPU.</summary>
    [Params(ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu)]
    public ProtectionModel Protection { get; set; }

    [GlobalSetup(Target = nameof(ByReference))]
    public void SetupInDomain() =>
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
        }, frames: 4096, BenchKernels.DefaultAccessesPerTick, protection: Protection);

    [GlobalSetup(Target = nameof(ByReferenceToAnotherProcess))]
    public void SetupShared() =>
        _shared = new ResidentProgram(sys =>
        {
            Notification.OpenWhenCreated(sys, "peer-ready").Wait();
            var pool = PacketPool.CreateShared(sys, "bench", Layout, 2, sys.ShmConnect(2));
            var link = ReferenceSource.Connect(sys, "bench", pool, 2);
            ulong sequence = 0;
            return () =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    Packet p;
                    while (!pool.TryAcquire(out p)) link.WaitForRelease(-1); // both buffers at the consumer
                    p.Sequence = ++sequence;
                    p.Length = PacketBytes;
                    sys.Memory.WriteUInt64(p.Address, sequence);
                    link.Push(p); // the link holds the reference until the consumer releases the buffer
                }
                while (link.Outstanding > 0) link.WaitForRelease(-1); // the batch ends with every buffer home
            };
        }, frames: 4096, BenchKernels.DefaultAccessesPerTick, protection: Protection, peer: sys =>
        {
            SegmentMessage? attach = null;
            sys.RegisterSegmentHandler((_, m) => { attach = m; return 0; });
            Notification.Create(sys, "peer-ready").Notify();
            while (attach is null) sys.Pause(8);
            var fifo = new FifoQueue(2);
            var link = ReferenceDestination.Attach(sys, "bench", attach.Value, fifo);
            while (true)
            {
                link.Poll();
                while (fifo.TryPop(out Packet p))
                {
                    sys.Memory.ReadUInt64(p.Address); // in place, in the producer's buffer
                    p.Release();
                }
                link.WaitForPackets(-1);
            }
        });

    [GlobalSetup(Target = nameof(CopiedAcrossBoundary))]
    public void SetupBoundary() =>
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
        }, frames: 4096, BenchKernels.DefaultAccessesPerTick, protection: Protection, peer: sys =>
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

    [GlobalCleanup]
    public void Cleanup()
    {
        _inDomain?.Dispose();
        _shared?.Dispose();
        _boundary?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rounds)]
    public void ByReference() => _inDomain!.RunBatch();

    [Benchmark(OperationsPerInvoke = Rounds)]
    public void ByReferenceToAnotherProcess() => _shared!.RunBatch();

    [Benchmark(OperationsPerInvoke = Rounds)]
    public void CopiedAcrossBoundary() => _boundary!.RunBatch();
}
