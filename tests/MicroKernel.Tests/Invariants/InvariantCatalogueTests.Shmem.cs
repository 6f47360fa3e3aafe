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

    [Fact, Trait(Breaks, "shmem-exclusive-ownership")]
    public void Shmem_exclusive_ownership_catches_a_peer_given_write_access_to_the_owners_segment()
    {
        var k = Boot(CheckLevel.Syscall);
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
