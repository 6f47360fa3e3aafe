using MicroKernel.Invariants;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Memory;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Invariants;

// The shared-memory family's invariants, broken the same way as the others: after a segment exists between an owner
// and a peer, the owner corrupts one rule and makes one syscall; that syscall's check point must name the rule.
public partial class InvariantCatalogueTests
{
    // The peer (pid 2): accepts segments, says "ready", then yields until the run ends (the panic ends it).
    private static long ShmemPeer(Sys sys)
    {
        sys.RegisterSegmentHandler((_, _) => 0);
        Notification.Create(sys, "ready").Notify();
        while (true) sys.Yield();
    }

    // Under every model: under an MPU the peer's space is not loaded, so only its VMA changes (no register write):
    // the space itself marks the change, or the owner's next syscall would skip the check.
    [Theory, Trait(Breaks, "shmem-exclusive-ownership")]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Shmem_exclusive_ownership_catches_a_peer_given_write_access_to_the_owners_segment(ProtectionModel model)
    {
        var k = Boot(CheckLevel.Syscall, model);
        k.Spawn("owner", sys =>
        {
            Notification.OpenWhenCreated(sys, "ready").Wait();
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            AddressSpace peer = k.FindProcess(2)!.AddressSpace;
            peer.SetSegmentAccess(peer.Areas.Single(v => v.Segment == s.Id).Start, Protection.ReadWrite);
            sys.Yield();
            return 0;
        });
        k.Spawn("peer", ShmemPeer);
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("shmem-exclusive-ownership");
        e.Violations.Select(v => v.Invariant).Distinct().ShouldBe(["shmem-exclusive-ownership"]);
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    // The check must not depend on a context switch: here the peer is blocked, the owner's next syscall (a getpid,
    // which changes nothing) switches to nobody, and under an MPU the corrupted space is not the loaded one, so no
    // register write marks it. The space marks its own VMA change, and the check point right after that getpid
    // finds the break.
    [Theory, Trait(Breaks, "shmem-exclusive-ownership")]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Shmem_exclusive_ownership_is_checked_at_the_owners_next_syscall_even_without_a_switch(ProtectionModel model)
    {
        var k = Boot(CheckLevel.Syscall, model);
        k.Spawn("owner", sys =>
        {
            Notification.OpenWhenCreated(sys, "ready").Wait();
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            sys.Sleep(2); // the peer blocks in its wait
            AddressSpace peer = k.FindProcess(2)!.AddressSpace;
            peer.SetSegmentAccess(peer.Areas.Single(v => v.Segment == s.Id).Start, Protection.ReadWrite);
            _ = sys.Pid;
            return 0;
        });
        k.Spawn("peer", sys =>
        {
            sys.RegisterSegmentHandler((_, _) => 0);
            Notification.Create(sys, "ready").Notify();
            Notification.Create(sys, "never").Wait();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("shmem-exclusive-ownership");
        ShouldBeFoundAfter(e, log, k, "getpid");
    }

    [Fact, Trait(Breaks, "shmem-teardown")]
    public void Shmem_teardown_catches_a_segment_forgotten_while_still_mapped()
    {
        var k = Boot(CheckLevel.Syscall);
        int id = 0;
        k.Spawn("owner", sys =>
        {
            Notification.OpenWhenCreated(sys, "ready").Wait();
            var s = Shmem.Create(sys, sys.ShmConnect(2), 4096);
            id = s.Id;
            k.Family<ShmemIpc>().ForgetSegment(s.Id); // the family drops its record; the mappings stay behind
            sys.Yield();
            return 0;
        });
        k.Spawn("peer", ShmemPeer);
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("shmem-teardown");
        e.Violations.Select(v => v.Invariant).Distinct().ShouldBe(["shmem-teardown"]);
        e.Violations[0].Problem.ShouldContain($"still maps shmem segment {id}");
        ShouldBeFoundAfter(e, log, k, "yield");
    }
}
