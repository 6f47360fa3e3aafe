using MicroKernel.Hardware;
using MicroKernel.Invariants;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Tests.Streams;

/// <summary>
/// A pool shared by reference with another process of the same memory domain (an unsafe segment): only descriptors
/// move, the consumer reads the producer's buffers where they are, and each release brings the buffer home.
/// </summary>
public class StreamReferenceTests
{
    private static readonly PacketLayout Layout = new(4080, 64, StreamAccess.Read | StreamAccess.Write, SyncRequirement.None);

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void The_consumer_reads_the_producers_buffers_in_place_and_each_release_brings_the_buffer_home(ProtectionModel model)
    {
        var seen = new List<(ulong Sequence, ulong Word, ulong Frame)>();
        var producerFrames = new List<ulong>();
        var freeAfterReclaim = new List<int>();
        long published = -1;
        bool unsafeBoth = false;
        Kernel k = Build(model, seen, producerFrames, freeAfterReclaim, p => published = p, b => unsafeBoth = b);
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0 && p.ExitStatus == 0, string.Join("; ", k.Processes.Select(p => $"{p}: {p.ExitStatus} {string.Join(",", p.Faults)}")) + k.ConsoleOutput);
        published.ShouldBe(6);
        unsafeBoth.ShouldBeTrue("an unsafe segment: read/write in both spaces");
        seen.Select(x => x.Sequence).ShouldBe([1UL, 2, 3, 4, 5, 6]);
        seen.Select(x => x.Word).ShouldBe([1000UL, 2000, 3000, 4000, 5000, 6000]);
        seen.ShouldAllBe(x => producerFrames.Contains(x.Frame), "every packet the consumer read is in a frame of the producer's pool: nothing was copied");
        freeAfterReclaim.ShouldAllBe(n => n >= 1, "a released buffer is back in the producer's pool");
        k.Frames.UserCount.ShouldBe(0, "the pool's segment went with the connection");
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.Paging, FaultReason.NotPresent)]
    [InlineData(ProtectionModel.ArmV7Mpu, FaultReason.NoRegion)]
    [InlineData(ProtectionModel.ArmV8Mpu, FaultReason.NoRegion)]
    public void A_display_that_stalls_past_the_cameras_wait_loses_the_pool_and_faults_at_its_next_touch_while_the_stream_goes_on(ProtectionModel model, FaultReason reason)
    {
        // The streams scenario with a display that holds frame 5 and sleeps 1000 ticks: longer than the camera waits
        // for it (200 ticks without a release) before it destroys the pool's segment.
        var k = new Kernel(new KernelConfig { Frames = 512, Protection = model, MaxTicks = 200_000, Check = CheckLevel.Syscall });
        Process camera = k.Spawn("stream-camera", "24", "2", "3", "4");
        Process recorder = k.Spawn("stream-consumer", "recorder");
        Process analytics = k.Spawn("stream-consumer", "analytics");
        Process display = k.Spawn("stream-display", "stall=5");
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        string console = k.ConsoleOutput.ToString();
        console.ShouldContain("display: stalling for 1000 ticks, holding frame 5");
        // It may hold 2 of the 4 packets (frame 5 and the next one): the camera refuses it the rest and goes on.
        console.ShouldContain("camera: display 6 of 24 by reference (descriptors only), 18 refused, it stalled: 2 buffers taken back when the pool's segment went");
        console.ShouldContain("camera: 24 frames produced, 0 skipped for want of a packet");
        console.ShouldContain("camera: recorder 24 of 24 copied across its boundary, 0 refused, end sent");
        console.ShouldContain("camera: analytics 24 of 24 copied across its boundary, 0 refused, end sent");
        console.ShouldContain("recorder: 24 frames in order (0 out of order, 0 corrupt), 0 dropped on this side, end received");
        console.ShouldContain("camera: pool 24 acquired, 24 returned, 4 of 4 free: no packet lost or leaked upstream");
        camera.ExitStatus.ShouldBe(0);
        recorder.ExitStatus.ShouldBe(0);
        analytics.ExitStatus.ShouldBe(0);
        // When it wakes, its release writes the released ring in a segment that is gone: one fault ends it.
        display.Faults.Count.ShouldBe(1);
        display.Faults[0].Reason.ShouldBe(reason);
        display.Faults[0].Tick.ShouldBeGreaterThan(1000L, "it faults when it wakes, long after the camera gave up on it");
        display.ExitStatus.ShouldBeGreaterThanOrEqualTo(128);
        console.ShouldNotContain("display: 5 frames");
        k.Frames.UserCount.ShouldBe(0, "the pool's segment was destroyed: its frames are free");
        k.ShouldBalance();
    }

    // A producer that pushes 6 packets by reference through a pool of 2, and a consumer that records what it read,
    // and in which physical frame.
    private static Kernel Build(ProtectionModel model, List<(ulong Sequence, ulong Word, ulong Frame)> seen, List<ulong> producerFrames,
        List<int> freeAfterReclaim, Action<long> publishedIs, Action<bool> unsafeBothIs)
    {
        var k = new Kernel(new KernelConfig { Frames = 512, Protection = model, MaxTicks = 200_000, Check = CheckLevel.Syscall });
        k.Spawn("producer", sys =>
        {
            Notification.OpenWhenCreated(sys, "ready").Wait();
            var pool = PacketPool.CreateShared(sys, "producer", Layout, 2, sys.ShmConnect(2));
            AddressSpace mine = k.ProcessOf(sys).AddressSpace;
            producerFrames.AddRange(mine.UserFrames().Where(f => f.VirtualAddress >= pool.SegmentAddress && f.VirtualAddress < pool.BaseAddress + 2 * Layout.Stride).Select(f => f.Frame));
            var link = ReferenceSource.Connect(sys, "display", pool, 2);
            for (ulong i = 1; i <= 6; i++)
            {
                Packet p;
                while (!pool.TryAcquire(out p))
                {
                    link.WaitForRelease(8); // both buffers are at the consumer: wait for one to come back
                    freeAfterReclaim.Add(pool.FreeCount);
                }
                p.Sequence = i;
                p.Length = 16;
                sys.Memory.WriteUInt64(p.Address, i * 1000);
                if (!link.Push(p)) return 10 + (long)i; // the link holds our reference until the consumer gives the buffer back
            }
            link.End();
            if (!link.WaitDetached(100)) return 2;
            if (pool.FreeCount != 2) return 3;
            publishedIs(link.Published);
            Segment s = k.Family<ShmemIpc>().Segments.Single(x => x.Unsafe);
            unsafeBothIs(s.Connection.A.AddressSpace.SegmentArea(s.AddressA)!.Protection == Protection.ReadWrite
                && s.Connection.B.AddressSpace.SegmentArea(s.AddressB)!.Protection == Protection.ReadWrite);
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
            AddressSpace mine = k.ProcessOf(sys).AddressSpace;
            while (!(link.Ended && link.Waiting == 0))
            {
                link.Poll();
                while (fifo.TryPop(out Packet p))
                {
                    ulong frame = mine.UserFrames().Single(f => f.VirtualAddress == p.Address / 4096 * 4096).Frame;
                    seen.Add((p.Sequence, sys.Memory.ReadUInt64(p.Address), frame));
                    p.Release();
                }
                if (!link.Ended) link.WaitForPackets(8);
            }
            link.Finish().ShouldBeTrue();
            link.WaitClosed(100).ShouldBeTrue("the producer destroyed the pool's segment");
            return 0;
        });
        return k;
    }
}
