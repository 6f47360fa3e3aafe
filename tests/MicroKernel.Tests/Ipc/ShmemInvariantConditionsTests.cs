using System.Reflection;
using MicroKernel.Invariants;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// Each condition of the shared-memory family's two invariants (ShmemIpc.Invariants.cs) broken alone, and the exact
/// problem it reports, segment described in each of its states (owned, in flight, lent, unsafe, kept after an exit).
/// The break is made and the check run inside the owner's program (or the peer's handler), between two syscalls, then undone, so the run
/// itself ends sound; InvariantCatalogueTests shows the same invariants fire at the right syscall.
/// </summary>
public class ShmemInvariantConditionsTests
{
    private const string Ownership = "shmem-exclusive-ownership", Teardown = "shmem-teardown";
    private const string Seg1 = "shmem segment 1 of connection 1 (pids 1 and 2)";

    private static string[] Problems(Kernel k, string invariant) =>
        [.. k.Family<ShmemIpc>().Invariants.Single(i => i.Name == invariant).Check().Select(v => v.Problem)];

    private static Segment Seg(Kernel k) => k.Family<ShmemIpc>().Segments.Single();

    // pid 1 "owner" makes segment 1 (two pages) on connection 1 with pid 2 "peer", which serves segments with
    // `handler` until stopped; then pid 1 runs `body` and stops the peer (unless the body did). The run must end sound (checked at its end).
    private static Kernel Run(Action<Kernel, Sys, Shmem> body, bool isUnsafe = false, Func<Kernel, Sys, SegmentMessage, long>? handler = null, bool stranger = false, bool stopsPeer = false)
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 200_000, Check = CheckLevel.End });
        k.Spawn("owner", sys =>
        {
            Notification.OpenWhenCreated(sys, "ready").Wait();
            var s = Shmem.Create(sys, sys.ShmConnect(2), 8192, isUnsafe);
            body(k, sys, s);
            if (!stopsPeer) Notification.Open(sys, "stop").Notify();
            return 0;
        });
        k.Spawn("peer", sys =>
        {
            sys.RegisterSegmentHandler((hs, m) => handler?.Invoke(k, hs, m) ?? 0);
            var stop = Notification.Create(sys, "stop");
            Notification.Create(sys, "ready").Notify();
            while (!stop.Wait(0)) sys.Yield();
            return 0;
        });
        if (stranger)
        {
            k.Spawn("stranger", sys =>
            {
                sys.Sleep(5000);
                return 0;
            });
        }
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        return k;
    }

    [Fact]
    public void An_owner_without_access_to_its_own_segment_is_reported()
    {
        string[] clean = ["not run"], ownership = [], teardown = ["not run"];
        Run((k, _, _) =>
        {
            clean = Problems(k, Ownership);
            AddressSpace owner = Seg(k).Connection.A.AddressSpace;
            owner.SetSegmentAccess(Seg(k).AddressA, Protection.None);
            ownership = Problems(k, Ownership);
            teardown = Problems(k, Teardown);
            owner.SetSegmentAccess(Seg(k).AddressA, Protection.ReadWrite);
        });
        clean.ShouldBeEmpty();
        ownership.ShouldBe([$"pid 1 (owner) maps {Seg1}, owned by pid 1 ---, where it should be rw-"]);
        teardown.ShouldBeEmpty();
    }

    [Fact]
    public void A_sender_that_keeps_access_to_a_segment_in_flight_is_reported()
    {
        SegmentState state = SegmentState.Owned;
        string[] clean = ["not run"], broken = [];
        Run((k, _, s) =>
        {
            s.Send(3);
            state = Seg(k).State;
            clean = Problems(k, Ownership);
            AddressSpace sender = Seg(k).Connection.A.AddressSpace;
            sender.SetSegmentAccess(Seg(k).AddressA, Protection.ReadWrite);
            broken = Problems(k, Ownership);
            sender.SetSegmentAccess(Seg(k).AddressA, Protection.None);
        });
        state.ShouldBe(SegmentState.InFlight, "the peer has not run its handler yet");
        clean.ShouldBeEmpty("in flight: no access for either side");
        broken.ShouldBe([$"pid 1 (owner) maps {Seg1}, in flight to pid 2 rw-, where it should be ---"]);
    }

    [Fact]
    public void A_caller_that_keeps_access_to_a_segment_lent_in_a_call_is_reported()
    {
        SegmentState state = SegmentState.Owned;
        string[] clean = ["not run"], broken = [];
        long reply = 0;
        Run((_, _, s) => reply = s.Call(4), handler: (k, _, _) =>
        {
            state = Seg(k).State;
            clean = Problems(k, Ownership);
            AddressSpace caller = Seg(k).Connection.A.AddressSpace;
            caller.SetSegmentAccess(Seg(k).AddressA, Protection.ReadWrite);
            broken = Problems(k, Ownership);
            caller.SetSegmentAccess(Seg(k).AddressA, Protection.None);
            return 5;
        });
        reply.ShouldBe(5);
        state.ShouldBe(SegmentState.Lent);
        clean.ShouldBeEmpty();
        broken.ShouldBe([$"pid 1 (owner) maps {Seg1}, owned by pid 2 (lent in a call) rw-, where it should be ---"]);
    }

    [Fact]
    public void An_unsafe_segment_must_be_read_write_for_both_sides()
    {
        string[] clean = ["not run"], broken = [];
        Run((k, _, _) =>
        {
            clean = Problems(k, Ownership);
            AddressSpace peer = Seg(k).Connection.B.AddressSpace;
            peer.SetSegmentAccess(Seg(k).AddressB, Protection.None);
            broken = Problems(k, Ownership);
            peer.SetSegmentAccess(Seg(k).AddressB, Protection.ReadWrite);
        }, isUnsafe: true);
        clean.ShouldBeEmpty();
        broken.ShouldBe([$"pid 2 (peer) maps unsafe {Seg1} ---, where it should be rw-"]);
    }

    [Fact]
    public void A_segment_whose_area_lost_its_segment_mark_is_reported_missing_and_the_area_torn_down()
    {
        string[] teardown = [], ownership = ["not run"];
        ulong at = 0;
        Run((k, _, _) =>
        {
            at = Seg(k).AddressB;
            Vma area = Seg(k).Connection.B.AddressSpace.Areas.Single(v => v.Start == at);
            area.Segment = 99;
            teardown = Problems(k, Teardown);
            ownership = Problems(k, Ownership);
            area.Segment = 1;
        });
        teardown.ShouldBe([
            $"{Seg1}, owned by pid 1 is not mapped in pid 2 (peer) at 0x{at:x}",
            $"pid 2 (peer) still maps shmem segment 99 at 0x{at:x}, which was torn down (2 pages whose frames are not freed)",
        ]);
        ownership.ShouldBeEmpty("the area is still there, with the access it should have");
    }

    [Fact]
    public void A_segment_that_records_the_wrong_address_is_reported_on_both_sides_of_the_record()
    {
        string[] teardown = [], ownership = ["not run"];
        ulong at = 0;
        Run((k, _, _) =>
        {
            Segment s = Seg(k);
            at = s.AddressB;
            s.AddressB = at + AddressSpace.PageSize; // inside the area, not its start
            teardown = Problems(k, Teardown);
            ownership = Problems(k, Ownership);
            s.AddressB = at;
        });
        teardown.ShouldBe([
            $"{Seg1}, owned by pid 1 is not mapped in pid 2 (peer) at 0x{at + AddressSpace.PageSize:x}",
            $"pid 2 (peer) maps {Seg1}, owned by pid 1 at 0x{at:x}, which is not where the segment says",
        ]);
        ownership.ShouldBeEmpty("a missing area is the teardown invariant's to report");
    }

    [Fact]
    public void A_process_outside_the_pair_that_maps_a_segment_is_reported()
    {
        string[] teardown = [];
        ulong at = 0;
        Run((k, _, _) =>
        {
            AddressSpace stranger = k.FindProcess(3)!.AddressSpace;
            _ = stranger.Map(0, AddressSpace.PageSize, Protection.ReadWrite, "anon", out at);
            Vma area = stranger.Areas.Single(v => v.Start == at);
            area.Segment = 1;
            teardown = Problems(k, Teardown);
            area.Segment = 0;
            _ = stranger.Unmap(at, AddressSpace.PageSize);
        }, stranger: true);
        teardown.ShouldBe([$"pid 3 (stranger) maps {Seg1}, owned by pid 1 at 0x{at:x}, which is not where the segment says"]);
    }

    [Fact]
    public void A_segment_live_while_one_of_its_pair_is_dying_is_reported()
    {
        string[] teardown = [];
        Run((k, _, _) =>
        {
            Process peer = Seg(k).Connection.B;
            peer.State = ProcessState.Dying;
            teardown = Problems(k, Teardown);
            peer.State = ProcessState.Running;
        });
        teardown.ShouldBe([$"{Seg1}, owned by pid 1 is still live, but pid 2 (peer) is dying"]);
    }

    [Fact]
    public void A_segment_not_made_to_survive_that_outlives_its_peers_exit_is_reported_and_the_exited_side_is_not_checked_for_access()
    {
        string[] teardown = [], ownership = ["not run"];
        Run((k, _, _) =>
        {
            Segment s = Seg(k);
            s.Connection.B.AddressSpace.SetSegmentAccess(s.AddressB, Protection.None);
            s.Connection.Exited = s.Connection.B;
            teardown = Problems(k, Teardown);
            ownership = Problems(k, Ownership);
            s.Connection.Exited = null;
            s.Connection.B.AddressSpace.SetSegmentAccess(s.AddressB, Protection.ReadWrite);
        }, isUnsafe: true);
        teardown.ShouldBe([$"unsafe {Seg1}, kept after pid 2 exited outlived the exit of pid 2 (peer)"]);
        ownership.ShouldBeEmpty("the side that exited is the teardown invariant's");
    }

    [Fact]
    public void A_segment_made_to_survive_is_checked_in_the_survivor_and_must_be_gone_from_the_side_that_exited()
    {
        string[] clean = ["not run"], ownership = [], teardown = [], cleanTeardown = ["not run"];
        Run((k, sys, _) =>
        {
            int c = sys.ShmConnect(2);
            long kept = sys.Syscall(MicroKernel.Syscalls.SyscallNumber.ShmCreate, (ulong)c, 4096, (ulong)(ShmemFlags.Unsafe | ShmemFlags.Survives));
            Notification.Open(sys, "stop").Notify(); // the peer exits; segment 1 goes with it, `kept` stays
            ShmemConnection conn = k.Family<ShmemIpc>().Connections.Single();
            while (conn.Exited is null) sys.Sleep(1);
            Segment s = Seg(k);
            if (s.Id != kept) return;
            clean = Problems(k, Ownership);
            cleanTeardown = Problems(k, Teardown);
            conn.A.AddressSpace.SetSegmentAccess(s.AddressA, Protection.None);
            ownership = Problems(k, Ownership);
            conn.A.AddressSpace.SetSegmentAccess(s.AddressA, Protection.ReadWrite);
            // The books say the survivor is the one that exited, while it still maps the segment and the peer is gone.
            conn.Exited = conn.A;
            teardown = Problems(k, Teardown);
            conn.Exited = conn.B;
            sys.Syscall(MicroKernel.Syscalls.SyscallNumber.ShmClose, (ulong)c);
        }, stopsPeer: true);
        clean.ShouldBeEmpty();
        cleanTeardown.ShouldBeEmpty();
        const string Kept = "unsafe shmem segment 2 of connection 1 (pids 1 and 2)";
        ownership.ShouldBe([$"pid 1 (owner) maps {Kept}, kept after pid 2 exited ---, where it should be rw-"]);
        teardown.ShouldBe([
            $"{Kept}, kept after pid 1 exited is still mapped in pid 1 (owner), which exited",
            $"{Kept}, kept after pid 1 exited is still live, but pid 2 (peer) is exited",
        ]);
    }

    // Reflection: no syscall leaves a segment whose connection is gone (closing a connection tears its segments down
    // first), so the family's table of open connections is edited directly, as a bug would leave it.
    [Fact]
    public void A_segment_whose_connection_is_gone_is_reported()
    {
        string[] teardown = [];
        Run((k, _, _) =>
        {
            ShmemIpc family = k.Family<ShmemIpc>();
            var open = (SortedDictionary<int, ShmemConnection>)typeof(ShmemIpc)
                .GetField("_connections", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(family)!;
            ShmemConnection c = open[1];
            open.Remove(1);
            teardown = Problems(k, Teardown);
            open[1] = c;
        });
        teardown.ShouldBe([$"{Seg1}, owned by pid 1 outlives its connection"]);
    }
}
