using MicroKernel.Faults;
using MicroKernel.Invariants;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Tests.Streams;

/// <summary>Memory-boundary blocks between processes: the copy, and isolation from a consumer that is killed or stalls.</summary>
public class StreamBoundaryTests
{
    private static readonly PacketLayout Layout = new(4080, 64, StreamAccess.Read | StreamAccess.Write, SyncRequirement.None);

    // What the camera and the display say when every frame reached the display by reference.
    private const string Display = "camera: display 24 of 24 by reference (descriptors only), 0 refused, every buffer back";
    private const string DisplaySide = "display: 24 frames read in place in the camera's pool (0 out of order, 0 corrupt), end received";

    private static Kernel Boot(ProtectionModel model = ProtectionModel.Paging, FaultPlan? faults = null) =>
        new(new KernelConfig { Frames = 512, Protection = model, MaxTicks = 200_000, Check = CheckLevel.Syscall, Faults = faults ?? FaultPlan.None });

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    public void Each_payload_is_copied_into_a_fresh_destination_packet_and_the_source_packet_goes_back_at_once(ProtectionModel model)
    {
        var k = Boot(model);
        var freeAfterPush = new List<int>();
        var received = new List<(ulong Sequence, ulong Word, ulong Address)>();
        ulong consumerPoolBase = 0;
        long sent = -1;
        k.Spawn("producer", sys =>
        {
            BoundarySource? source = null;
            sys.RegisterSegmentHandler((_, m) => { source?.OnSegment(m); return 0; });
            var pool = PacketPool.Create(sys, "producer", Layout, 2);
            Notification.OpenWhenCreated(sys, "ready").Wait();
            source = BoundarySource.Connect(sys, "b", 2, Layout, 2);
            for (ulong i = 1; i <= 6; i++)
            {
                pool.TryAcquire(out Packet p).ShouldBeTrue();
                p.Sequence = i;
                p.Length = 16;
                sys.Memory.WriteUInt64(p.Address, i * 1000);
                source.Push(p).ShouldBeTrue();
                freeAfterPush.Add(pool.FreeCount);
                sys.Sleep(4);
            }
            for (int r = 0; r < 100 && source.Away > 0; r++) sys.Sleep(1);
            source.TryEnd().ShouldBeTrue();
            for (int r = 0; r < 100 && source.Away > 0; r++) sys.Sleep(1);
            sent = source.Sent;
            return 0;
        });
        k.Spawn("consumer", sys =>
        {
            var pool = PacketPool.Create(sys, "consumer", Layout, 2);
            consumerPoolBase = pool.BaseAddress;
            var fifo = new FifoQueue(2);
            var destination = new BoundaryDestination("b", pool, fifo);
            sys.RegisterSegmentHandler((s, m) => destination.OnSegment(s, m));
            Notification.Create(sys, "ready").Notify();
            while (true)
            {
                while (fifo.TryPop(out Packet p))
                {
                    received.Add((p.Sequence, sys.Memory.ReadUInt64(p.Address), p.Address));
                    p.Release();
                }
                if (destination.Ended) return 0;
                sys.Pause(8);
            }
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0 && p.ExitStatus == 0);
        freeAfterPush.ShouldAllBe(n => n == 2, "the source packet is back in the producer's pool as soon as it was copied");
        sent.ShouldBe(6);
        received.Select(x => x.Sequence).ShouldBe([1UL, 2, 3, 4, 5, 6]);
        received.Select(x => x.Word).ShouldBe([1000UL, 2000, 3000, 4000, 5000, 6000]);
        received.ShouldAllBe(x => x.Address >= consumerPoolBase && x.Address < consumerPoolBase + 2 * Layout.Stride, "the copy lands in the destination's own pool");
        k.Frames.UserCount.ShouldBe(0, "no frame leaked once all exited");
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Sync_objects_never_cross_a_boundary_each_side_is_woken_only_by_its_own_threads(ProtectionModel model)
    {
        // The streams scenario's programs (no crash). From the first payload on, a wake-up of the camera by a
        // consumer behind a boundary, or of such a consumer by anyone but itself, would be a sync object shared
        // across the boundary. The by-reference link to the display is no boundary: those two wake each other.
        var k = Boot(model);
        k.Spawn("stream-camera", "24", "2", "3", "4");
        k.Spawn("stream-consumer", "recorder");
        k.Spawn("stream-consumer", "analytics");
        k.Spawn("stream-display");
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.ExitStatus == 0 && p.Faults.Count == 0);
        long streaming = log.Events.First(e => e.Kind == EventKind.Upcall && e.Pid is 2 or 3).Seq;
        var wakes = log.Events.Where(e => e.Seq > streaming && e.Kind == EventKind.Wake && e.A3 != 0).ToList(); // A3 0: an owner's exit
        var crossing = wakes.Where(e => (int)e.A2 != e.Pid && !(e.Pid is 1 or 4 && (int)e.A2 is 1 or 4)).ToList();
        crossing.ShouldBeEmpty(string.Join("; ", crossing.Select(e => $"pid {e.Pid} woken by pid {e.A2} at tick {e.Tick}")));
        wakes.ShouldContain(e => e.Pid == 2 && (int)e.A2 == 2, "the recorder's own handler wakes its consumer");
        wakes.ShouldContain(e => e.Pid == 4 && (int)e.A2 == 1, "the camera wakes the display through the by-reference link");
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_consumer_killed_mid_stream_stalls_neither_the_producer_nor_the_other_consumers(ProtectionModel model)
    {
        // The streams scenario's programs, with the analytics consumer killed at its 30th syscall instead of crashing.
        var k = Boot(model, new FaultPlan([new KillFaultRule(3, null, 30)]));
        Process camera = k.Spawn("stream-camera", "24", "2", "3", "4");
        Process recorder = k.Spawn("stream-consumer", "recorder");
        Process analytics = k.Spawn("stream-consumer", "analytics");
        Process display = k.Spawn("stream-display");
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        string console = k.ConsoleOutput.ToString();
        analytics.ExitStatus.ShouldBe(Kernel.KilledStatus);
        console.ShouldContain(Display);
        console.ShouldContain(DisplaySide);
        console.ShouldContain("camera: recorder 24 of 24 copied across its boundary, 0 refused, end sent");
        console.ShouldMatch(@"camera: analytics \d+ of 24 copied across its boundary, \d+ refused, its process is gone");
        console.ShouldContain("recorder: 24 frames in order (0 out of order, 0 corrupt), 0 dropped on this side, end received");
        console.ShouldContain("camera: pool 24 acquired, 24 returned, 4 of 4 free: no packet lost or leaked upstream");
        camera.ExitStatus.ShouldBe(0);
        recorder.ExitStatus.ShouldBe(0);
        display.ExitStatus.ShouldBe(0);
        k.Frames.UserCount.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_stalled_consumer_holds_only_its_own_segments_and_the_stream_goes_on_without_it(ProtectionModel model)
    {
        var k = Boot(model);
        var stalledAreas = new List<int>();
        var stalledConnectionSegments = new List<int>();
        k.Spawn("stream-camera", "24", "2", "3", "4");
        k.Spawn("stream-consumer", "recorder");
        k.Spawn("stalled", sys =>
        {
            int held = -1, seen = 0;
            sys.RegisterSegmentHandler((s, m) =>
            {
                // Takes two frames, then stops giving segments back: it stalls while holding them.
                if (m.Type == BoundaryProtocol.Deliver && ++seen > 2)
                {
                    held = m.Segment;
                    return 0;
                }
                s.Syscall(Syscalls.SyscallNumber.ShmSend, (ulong)m.Segment, BoundaryProtocol.Return);
                return 0;
            });
            Notification.Create(sys, "streams-ready-3").Notify();
            while (held < 0) sys.Pause(8);
            // What it maps while it stalls: segment areas of its own connection with the camera, nothing of the others'.
            stalledAreas.AddRange(k.FindProcess(3)!.AddressSpace.Areas.Where(v => v.Segment != 0).Select(v => v.Segment));
            stalledConnectionSegments.AddRange(k.Family<ShmemIpc>().Segments.Where(s => s.Connection.Has(k.FindProcess(3)!)).Select(s => s.Id));
            while (sys.Syscall(Syscalls.SyscallNumber.ShmAddress, (ulong)held) >= 0) sys.Pause(8); // until the camera's exit tears it down
            return 0;
        });
        k.Spawn("stream-display");
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        string console = k.ConsoleOutput.ToString();
        console.ShouldContain(Display);
        console.ShouldContain(DisplaySide);
        console.ShouldContain("camera: recorder 24 of 24 copied across its boundary, 0 refused, end sent");
        console.ShouldContain("camera: analytics 4 of 24 copied across its boundary, 20 refused");
        console.ShouldContain("recorder: 24 frames in order");
        console.ShouldContain("no packet lost or leaked upstream");
        stalledAreas.Count.ShouldBe(2);
        stalledAreas.ShouldBe(stalledConnectionSegments, ignoreOrder: true);
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0 && p.ExitStatus == 0);
        k.Frames.UserCount.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    public void The_destination_pool_lives_in_a_segment_its_consumer_owns_which_the_source_cannot_touch(ProtectionModel model)
    {
        var k = Boot(model);
        int poolSegment = 0;
        var received = new List<ulong>();
        k.Spawn("producer", sys =>
        {
            BoundarySource? source = null;
            sys.RegisterSegmentHandler((_, m) => { source?.OnSegment(m); return 0; });
            var pool = PacketPool.Create(sys, "producer", Layout, 2);
            Notification.OpenWhenCreated(sys, "ready").Wait();
            source = BoundarySource.Connect(sys, "b", 2, Layout, 2);
            for (ulong i = 1; i <= 4; i++)
            {
                pool.TryAcquire(out Packet p).ShouldBeTrue();
                p.Sequence = i;
                p.Length = 16;
                sys.Memory.WriteUInt64(p.Address, i * 7);
                source.Push(p).ShouldBeTrue();
                source.WaitHome(100).ShouldBeTrue("the destination's handler signals this side's own notification");
            }
            // The consumer's pool is mapped here too (a segment of this pair), with no access: touching it faults,
            // and this process's exit then tears the pair's connection down, the pool with it.
            Segment pool2 = k.Family<ShmemIpc>().Segments.Single(s => s.Id == poolSegment);
            sys.Memory.ReadUInt64(pool2.AddressIn(k.FindProcess(1)!));
            return 0;
        });
        k.Spawn("consumer", sys =>
        {
            var fifo = new FifoQueue(2);
            var destination = BoundaryDestination.Create(sys, "b", 1, Layout, 2, fifo);
            poolSegment = destination.Pool.Segment;
            sys.RegisterSegmentHandler((s, m) => destination.OnSegment(s, m));
            Notification.Create(sys, "ready").Notify();
            // Until the producer's exit takes the pool's segment away.
            while (sys.Syscall(Syscalls.SyscallNumber.ShmAddress, (ulong)poolSegment) >= 0)
            {
                while (fifo.TryPop(out Packet p))
                {
                    received.Add(sys.Memory.ReadUInt64(p.Address));
                    p.Release();
                }
                destination.WaitForPackets(8);
            }
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        poolSegment.ShouldBeGreaterThan(0);
        received.ShouldBe([7UL, 14, 21, 28]);
        Process producer = k.FindProcess(1)!;
        producer.Faults.Count.ShouldBe(1);
        producer.Faults[0].ToString().ShouldContain($"shmem segment {poolSegment} of connection 1 (pids 1 and 2), owned by pid 2");
        k.FindProcess(2)!.ExitStatus.ShouldBe(0);
        k.Frames.UserCount.ShouldBe(0, "the pool's segment went with the connection");
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.Paging, "camera")]
    [InlineData(ProtectionModel.Paging, "recorder")]
    [InlineData(ProtectionModel.ArmV7Mpu, "camera")]
    [InlineData(ProtectionModel.ArmV7Mpu, "recorder")]
    public void A_consumer_that_faults_writing_at_the_others_buffers_corrupts_nothing_and_stalls_nobody(ProtectionModel model, string target)
    {
        // The streams scenario's camera and recorder; behind the third boundary a consumer that takes 5 frames, then
        // writes where the camera's pool or the recorder's pool is (in their spaces; under an MPU the same address).
        var k = Boot(model);
        k.Spawn("stream-camera", "24", "2", "3", "4");
        k.Spawn("stream-consumer", "recorder");
        ulong aimedAt = 0;
        k.Spawn("wild", sys =>
        {
            var fifo = new FifoQueue(4);
            var destination = BoundaryDestination.Create(sys, "boundary:wild", 1, new PacketLayout(4080, 64, StreamAccess.Read, SyncRequirement.Wakeup), 4, fifo);
            sys.RegisterSegmentHandler((s, m) => destination.OnSegment(s, m));
            Notification.Create(sys, "streams-ready-3").Notify();
            for (int n = 0; !destination.Ended; destination.WaitForPackets(8))
                while (fifo.TryPop(out Packet p))
                {
                    p.Release();
                    if (++n != 5) continue;
                    Process victim = k.FindProcess(target == "camera" ? 1 : 2)!;
                    aimedAt = target == "camera"
                        ? k.Family<ShmemIpc>().Segments.Single(s => s.Unsafe).AddressIn(victim) // the pool it shares with the display
                        : k.Family<ShmemIpc>().Segments.Single(s => s.Owner == victim && s.Size == 4 * 4096UL).AddressIn(victim);
                    // Under paging the address means nothing here (or is this process's own memory); under an MPU
                    // it is the very block, which no region of this process covers.
                    sys.Memory.WriteUInt64(aimedAt, 0xBAD);
                    sys.Memory.WriteUInt64(aimedAt + 8, 0xBAD);
                }
            destination.Finish(sys);
            return 0;
        });
        k.Spawn("stream-display");
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        string console = k.ConsoleOutput.ToString();
        Process wild = k.FindProcess(3)!;
        aimedAt.ShouldBeGreaterThan(0UL);
        if (model != ProtectionModel.Paging)
        {
            wild.Faults.Count.ShouldBe(1, "it only maps its own pool and transfer segments: the others' buffers are not there for it");
            wild.ExitStatus.ShouldBeGreaterThanOrEqualTo(128);
            console.ShouldMatch(@"camera: analytics \d+ of 24 copied across its boundary, \d+ refused, its process is gone");
        }
        console.ShouldContain(Display);
        console.ShouldContain(DisplaySide);
        console.ShouldContain("camera: recorder 24 of 24 copied across its boundary, 0 refused, end sent");
        console.ShouldContain("recorder: 24 frames in order (0 out of order, 0 corrupt), 0 dropped on this side, end received");
        console.ShouldContain("camera: pool 24 acquired, 24 returned, 4 of 4 free: no packet lost or leaked upstream");
        k.FindProcess(1)!.ExitStatus.ShouldBe(0);
        k.FindProcess(2)!.ExitStatus.ShouldBe(0);
        k.Frames.UserCount.ShouldBe(0);
        k.ShouldBalance();
    }
}
