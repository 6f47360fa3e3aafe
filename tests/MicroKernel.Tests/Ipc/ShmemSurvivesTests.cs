using MicroKernel.Invariants;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// Unsafe segments made to survive their peer (<see cref="ShmemFlags.Survives"/>, docs/shmem.md#teardown): when one
/// side exits, the survivor keeps its mapping (and reads what the dead side wrote) until it closes the connection or
/// exits; every other segment of the connection goes at once. The invariants run at every syscall.
/// </summary>
public class ShmemSurvivesTests
{
    private static Kernel Boot() =>
        new(new KernelConfig { Frames = 512, MaxTicks = 200_000, Check = CheckLevel.Syscall });

    private static long Raw(Sys sys, SyscallNumber n, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0) => sys.Syscall(n, a0, a1, a2);

    private const ulong Kept = (ulong)(ShmemFlags.Unsafe | ShmemFlags.Survives);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_survivor_keeps_reading_a_surviving_segment_after_its_peer_exits_and_closing_frees_it(bool closeFirst)
    {
        var k = Boot();
        string? read = null;
        long owned = 0, create = 0, close = 0, address = 0;
        int keptAreas = -1, areasAfterClose = -1, userFramesAfterClose = -1;
        k.Spawn("survivor", sys =>
        {
            var made = Notification.Create(sys, "made");
            Notification.OpenWhenCreated(sys, "ready").Wait();
            int c = sys.ShmConnect(2);
            int pool = (int)Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 4096, Kept);
            owned = Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 4096);
            ulong at = sys.ShmAddress(pool);
            sys.Memory.WriteUInt64(at, 0);
            if (pool != 1) return 1; // the leaver finds it by its id: the run's first segment
            Notification.Open(sys, "pool").Notify();
            made.Wait();
            // Wait for the leaver's exit: a new segment is refused once it is gone.
            while ((create = Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 4096, Kept)) >= 0) sys.Sleep(1);
            read = sys.Memory.ReadUInt64(at) == 0x4c495645 ? "LIVE" : "nothing";
            address = Raw(sys, SyscallNumber.ShmAddress, (ulong)pool);
            keptAreas = k.ProcessOf(sys).AddressSpace.Areas.Count(v => v.Segment != 0);
            if (!closeFirst) return 0; // its exit frees the pool
            close = Raw(sys, SyscallNumber.ShmClose, (ulong)c);
            areasAfterClose = k.ProcessOf(sys).AddressSpace.Areas.Count(v => v.Segment != 0);
            userFramesAfterClose = k.Frames.UserCount;
            return 0;
        });
        k.Spawn("leaver", sys =>
        {
            var pool = Notification.Create(sys, "pool");
            Notification.Create(sys, "ready").Notify();
            pool.Wait();
            sys.Memory.WriteUInt64(sys.ShmAddress(1), 0x4c495645); // the leaver was here
            Notification.Open(sys, "made").Notify();
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0 && p.ExitStatus == 0);
        owned.ShouldBeGreaterThan(0);
        create.ShouldBe((long)ErrorCode.ProcessExited);
        read.ShouldBe("LIVE", "the survivor still maps the pool and reads what the dead peer wrote");
        address.ShouldBeGreaterThan(0);
        keptAreas.ShouldBe(1, "the owned segment went with the peer; the surviving one stayed");
        if (closeFirst)
        {
            close.ShouldBe(0);
            areasAfterClose.ShouldBe(0);
        }
        k.Frames.UserCount.ShouldBe(0, "no segment frame outlives both processes");
        k.Family<ShmemIpc>().Segments.ShouldBeEmpty();
        k.Family<ShmemIpc>().Connections.ShouldBeEmpty();
        k.ShouldBalance();
    }

    [Fact]
    public void Survives_needs_the_unsafe_bit_and_other_bits_are_refused()
    {
        var k = Boot();
        long survivesAlone = 0, unknownBit = 0, both = 0;
        k.Spawn("a", sys =>
        {
            Notification.OpenWhenCreated(sys, "ready").Wait();
            int c = sys.ShmConnect(2);
            survivesAlone = Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 4096, (ulong)ShmemFlags.Survives);
            unknownBit = Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 4096, Kept | 4);
            both = Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 4096, Kept);
            Notification.Open(sys, "stop").Notify();
            return 0;
        });
        k.Spawn("b", sys =>
        {
            var stop = Notification.Create(sys, "stop");
            Notification.Create(sys, "ready").Notify();
            stop.Wait();
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        survivesAlone.ShouldBe((long)ErrorCode.InvalidArgument);
        unknownBit.ShouldBe((long)ErrorCode.InvalidArgument);
        both.ShouldBeGreaterThan(0);
        k.Frames.UserCount.ShouldBe(0);
    }
}
