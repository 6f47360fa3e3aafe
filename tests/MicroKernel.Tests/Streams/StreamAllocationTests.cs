using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Tests.Streams;

/// <summary>
/// What a packet costs in host allocations across a memory boundary, and by reference to another process of the same
/// domain, in steady state: nothing, on either side. The
/// descriptors come from the stream pools, the kernel's shm messages from its pool, handler views are reused, and
/// the ownership moves and the consumer's wake-up allocate nothing (docs/streams.md, docs/benchmarks.md).
/// Each side counts its own host thread's bytes (<see cref="GC.GetAllocatedBytesForCurrentThread"/>: a simulated
/// thread is a host thread, and the kernel runs a syscall, or a handler, on the thread that makes or gets it), so
/// tests running beside it do not count. No sink: with a trace the kernel builds event texts.
/// </summary>
public class StreamAllocationTests
{
    private const int Warm = 32, Window = 200;
    private static readonly PacketLayout Layout = new(4080, 64, StreamAccess.Read | StreamAccess.Write, SyncRequirement.None);

    // Under paging and both MPU models: the region paths (the access check, reprogramming at each switch, the flip of
    // a segment's access bits) allocate nothing either.
    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_packet_across_a_boundary_allocates_nothing_on_either_side_in_steady_state(ProtectionModel model)
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 2_000_000, Protection = model });
        long producerBytes = -1, consumerBytes = -1, received = 0;
        k.Spawn("producer", sys =>
        {
            BoundarySource? source = null;
            sys.RegisterSegmentHandler((_, m) => { source?.OnSegment(m); return 0; });
            var pool = PacketPool.Create(sys, "producer", Layout, 2);
            Notification.OpenWhenCreated(sys, "ready").Wait();
            source = BoundarySource.Connect(sys, "b", 2, Layout, 1);
            long before = 0;
            for (int i = 1; i <= Warm + Window; i++)
            {
                if (i == Warm + 1) before = GC.GetAllocatedBytesForCurrentThread();
                if (!pool.TryAcquire(out Packet p)) return 1;
                p.Sequence = (ulong)i;
                p.Length = 256;
                sys.Memory.WriteUInt64(p.Address, (ulong)i);
                if (!source.Push(p)) return 2;
                while (source.Away > 0) sys.Yield(); // the destination copied it and gave the segment back
            }
            producerBytes = GC.GetAllocatedBytesForCurrentThread() - before;
            source.TryEnd();
            for (int r = 0; r < 100 && source.Away > 0; r++) sys.Sleep(1);
            return 0;
        });
        k.Spawn("consumer", sys =>
        {
            var pool = PacketPool.Create(sys, "consumer", Layout, 2);
            var fifo = new FifoQueue(2);
            var destination = new BoundaryDestination("b", pool, fifo);
            sys.RegisterSegmentHandler((s, m) => destination.OnSegment(s, m));
            Notification.Create(sys, "ready").Notify();
            long before = 0;
            while (!destination.Ended)
            {
                while (fifo.TryPop(out Packet p))
                {
                    if (sys.Memory.ReadUInt64(p.Address) != p.Sequence) return 3;
                    p.Release();
                    if (++received == Warm) before = GC.GetAllocatedBytesForCurrentThread();
                    if (received == Warm + Window) consumerBytes = GC.GetAllocatedBytesForCurrentThread() - before;
                }
                sys.Pause(8);
            }
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        k.Processes.ShouldAllBe(p => p.ExitStatus == 0 && p.Faults.Count == 0);
        received.ShouldBe(Warm + Window);
        producerBytes.ShouldBe(0L, "the producer's side of a packet: pool, copy into the segment, shm_send, the segment's return");
        consumerBytes.ShouldBe(0L, "the consumer's side: the handler run, the copy into its own pool, shm_send back, the wake-up");
    }

    // The display's way: a pool shared by reference with another process of the same domain (an unsafe segment),
    // descriptors through the rings, a notification each way.
    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_packet_by_reference_to_another_process_allocates_nothing_on_either_side_in_steady_state(ProtectionModel model)
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 2_000_000, Protection = model });
        long producerBytes = -1, consumerBytes = -1, received = 0;
        k.Spawn("producer", sys =>
        {
            Notification.OpenWhenCreated(sys, "ready").Wait();
            var pool = PacketPool.CreateShared(sys, "producer", Layout, 2, sys.ShmConnect(2));
            var link = ReferenceSource.Connect(sys, "display", pool, 2);
            long before = 0;
            for (int i = 1; i <= Warm + Window; i++)
            {
                if (i == Warm + 1) before = GC.GetAllocatedBytesForCurrentThread();
                Packet p;
                while (!pool.TryAcquire(out p)) link.WaitForRelease(8);
                p.Sequence = (ulong)i;
                p.Length = 256;
                sys.Memory.WriteUInt64(p.Address, (ulong)i);
                if (!link.Push(p)) return 2;
            }
            while (link.Outstanding > 0) link.WaitForRelease(8);
            producerBytes = GC.GetAllocatedBytesForCurrentThread() - before;
            link.End();
            if (!link.WaitDetached(100)) return 4;
            link.Close();
            return 0;
        });
        k.Spawn("consumer", sys =>
        {
            SegmentMessage? attach = null;
            sys.RegisterSegmentHandler((_, m) => { attach = m; return 0; });
            Notification.Create(sys, "ready").Notify();
            while (attach is null) sys.Pause(8);
            var fifo = new FifoQueue(2);
            var link = ReferenceDestination.Attach(sys, "display", attach.Value, fifo);
            long before = 0;
            while (!(link.Ended && link.Waiting == 0))
            {
                link.Poll();
                while (fifo.TryPop(out Packet p))
                {
                    if (sys.Memory.ReadUInt64(p.Address) != p.Sequence) return 3;
                    p.Release();
                    if (++received == Warm) before = GC.GetAllocatedBytesForCurrentThread();
                    if (received == Warm + Window) consumerBytes = GC.GetAllocatedBytesForCurrentThread() - before;
                }
                if (!link.Ended) link.WaitForPackets(8);
            }
            link.Finish();
            link.WaitClosed(100);
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        k.Processes.ShouldAllBe(p => p.ExitStatus == 0 && p.Faults.Count == 0);
        received.ShouldBe(Warm + Window);
        producerBytes.ShouldBe(0L, "the producer's side: pool, descriptor into the published ring, notify, reclaim");
        consumerBytes.ShouldBe(0L, "the consumer's side: the wait, the view's packet, the read in place, the release into the released ring");
    }
}
