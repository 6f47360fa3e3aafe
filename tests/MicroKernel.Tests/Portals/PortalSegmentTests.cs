using System.Text;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Portals;
using static MicroKernel.Tests.Portals.PortalNodeTests;

namespace MicroKernel.Tests.Portals;

/// <summary>Owned segments in parcels: ownership moves with the parcel, also across a proxy (re-made on each pair).</summary>
public class PortalSegmentTests
{
    [Fact]
    public void A_segment_put_in_a_parcel_is_owned_by_the_reader_and_no_longer_by_the_writer()
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 200_000 });
        string? read = null;
        bool writerLostIt = false;
        k.Spawn("writer", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(2);
            var s = Shmem.Create(sys, sys.ShmConnect(2), 8192);
            s.Write(100, "owned bytes"u8);
            PutAll2(node, p, s);
            writerLostIt = Should.Throw<InvalidOperationException>(() => s.Get()) is not null;
            Should.Throw<ArgumentException>(() => node.Put(p, [], default, [s]));
            // A segment lives as long as its connection: the writer stays until the reader is done with it.
            Next(node, p).ShouldBeNull();
            return 0;
        });
        k.Spawn("reader", sys =>
        {
            Node node = Node.Create(sys);
            Portal p = node.Connect(1);
            Parcel parcel = Next(node, p)!;
            Shmem s = parcel.Segments.ShouldHaveSingleItem();
            s.Owned.ShouldBeTrue();
            s.Size.ShouldBe(8192UL);
            var bytes = new byte[11];
            s.Read(100, bytes);
            read = Encoding.UTF8.GetString(bytes);
            node.Close(p);
            node.Flush();
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0 && p.ExitStatus == 0, string.Join("; ", k.Processes.SelectMany(p => p.Faults)));
        read.ShouldBe("owned bytes");
        writerLostIt.ShouldBeTrue();
        k.Frames.UserCount.ShouldBe(0, "no segment left once both exited");
    }

    [Fact]
    public void A_segment_that_crosses_a_proxy_node_arrives_with_its_bytes_and_no_frame_is_leaked()
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 400_000 });
        string? read = null;
        k.Spawn("A", sys =>
        {
            Node node = Node.Create(sys);
            Portal toB = node.Connect(2), toC = node.Connect(3);
            Parcel carrier = Next(node, toB)!;
            PutAll(node, toC, [], carrier.Portals[0]);
            while (Next(node, toB) is not null || Next(node, toC) is not null) { }
            return 0;
        });
        k.Spawn("B", sys =>
        {
            Node node = Node.Create(sys);
            Portal toA = node.Connect(1);
            (Portal mine, Portal theirs) = node.OpenPair();
            // The segment is put before the end travels: it waits at the proxy and follows the portal to C.
            var s = Shmem.Create(sys, sys.ShmConnect(1), 4096);
            s.Write(0, "via a proxy"u8);
            PutAll2(node, mine, s);
            PutAll(node, toA, [], theirs);
            Next(node, mine).ShouldBeNull();
            node.Close(toA);
            node.Flush();
            return 0;
        });
        k.Spawn("C", sys =>
        {
            Node node = Node.Create(sys);
            Portal toA = node.Connect(1);
            Portal fromB = Next(node, toA)!.Portals[0];
            Parcel parcel = Next(node, fromB)!;
            var bytes = new byte[11];
            parcel.Segments.ShouldHaveSingleItem().Read(0, bytes);
            read = Encoding.UTF8.GetString(bytes);
            node.Close(fromB);
            node.Close(toA);
            node.Flush();
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0 && p.ExitStatus == 0, string.Join("; ", k.Processes.SelectMany(p => p.Faults)));
        read.ShouldBe("via a proxy");
        k.Frames.UserCount.ShouldBe(0);
        k.LiveNotifications.ShouldBe(0);
    }

    private static void PutAll2(Node node, Portal portal, Shmem s)
    {
        while (node.Put(portal, "seg"u8, default, [s]) == PortalResult.PoolFull) node.Flush(1);
    }
}
