using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Tests.Streams;

/// <summary>The in-domain blocks (userland/Services/Streams): pool, FIFO, mailbox, multicast. No kernel: packets are descriptors.</summary>
public class StreamBlockTests
{
    private static readonly PacketLayout Layout = new(4000, 64, StreamAccess.Read, SyncRequirement.None);

    private static PacketPool Pool(int count = 4) => new("test", Layout, count, 0x10000000);

    private static Packet Take(PacketPool pool, ulong sequence)
    {
        pool.TryAcquire(out Packet p).ShouldBeTrue();
        p.Sequence = sequence;
        return p;
    }

    [Fact]
    public void The_pool_hands_out_aligned_buffers_until_it_is_empty_and_takes_them_back()
    {
        var pool = Pool(3);
        Packet a = Take(pool, 1), b = Take(pool, 2), c = Take(pool, 3);
        new[] { a.Address, b.Address, c.Address }.ShouldBe([0x10000000UL, 0x10000000UL + 4032, 0x10000000UL + 2 * 4032]);
        pool.TryAcquire(out _).ShouldBeFalse();
        b.Release();
        pool.FreeCount.ShouldBe(1);
        Take(pool, 4).Index.ShouldBe(1, "the freed buffer is reused");
        Should.Throw<ArgumentException>(() => new PacketPool("bad", Layout, 1, 0x10000010)).Message.ShouldContain("not aligned to 64");
    }

    [Fact]
    public void A_fifo_gives_every_packet_in_order_and_refuses_when_full()
    {
        var pool = Pool(4);
        var fifo = new FifoQueue(3);
        for (ulong i = 1; i <= 3; i++) fifo.Push(Take(pool, i)).ShouldBeTrue();
        Packet extra = Take(pool, 4);
        fifo.Push(extra).ShouldBeFalse("a full FIFO refuses; the pusher keeps its reference");
        extra.References.ShouldBe(1);
        for (ulong i = 1; i <= 3; i++)
        {
            fifo.TryPop(out Packet p).ShouldBeTrue();
            p.Sequence.ShouldBe(i);
            p.Release();
        }
        fifo.TryPop(out _).ShouldBeFalse();
    }

    [Fact]
    public void A_mailbox_keeps_only_the_newest_and_sends_the_older_back_to_the_pool_at_once()
    {
        var pool = Pool(2);
        var mailbox = new MailboxQueue();
        for (ulong i = 1; i <= 5; i++)
        {
            mailbox.Push(Take(pool, i)).ShouldBeTrue();
            pool.FreeCount.ShouldBe(1, "only the newest is held, so a 2-packet pool never runs dry");
        }
        mailbox.Replaced.ShouldBe(4);
        mailbox.TryTake(out Packet newest).ShouldBeTrue();
        newest.Sequence.ShouldBe(5UL);
        mailbox.TryTake(out _).ShouldBeFalse();
        newest.Release();
        pool.FreeCount.ShouldBe(2);
        pool.Returned.ShouldBe(pool.Acquired);
    }

    [Fact]
    public void A_multicast_packet_goes_back_to_the_pool_only_when_every_consumer_released_it()
    {
        var pool = Pool(2);
        FifoQueue a = new(4), b = new(4);
        var multicast = new Multicast(a, b);
        multicast.Push(Take(pool, 1));
        a.TryPop(out Packet fromA).ShouldBeTrue();
        b.TryPop(out Packet fromB).ShouldBeTrue();
        fromA.ShouldBeSameAs(fromB, "by reference: one buffer, two holders");
        fromA.References.ShouldBe(2);
        fromA.Release();
        pool.FreeCount.ShouldBe(1, "b still holds it");
        fromB.Release();
        pool.FreeCount.ShouldBe(2);
        Should.Throw<InvalidOperationException>(() => fromB.Release()).Message.ShouldContain("released twice");
    }

    [Fact]
    public void An_output_that_refuses_is_a_drop_for_that_output_only()
    {
        var pool = Pool(4);
        FifoQueue small = new(1), big = new(4);
        var multicast = new Multicast(small, big);
        multicast.Push(Take(pool, 1));
        multicast.Push(Take(pool, 2));
        (multicast.Delivered(0), multicast.Dropped(0), multicast.Delivered(1), multicast.Dropped(1)).ShouldBe((1L, 1L, 2L, 0L));
        while (small.TryPop(out Packet p)) p.Release();
        while (big.TryPop(out Packet p)) p.Release();
        pool.FreeCount.ShouldBe(4);
    }

    [Fact]
    public void A_packets_life_allocates_nothing_in_steady_state()
    {
        var pool = Pool(4);
        FifoQueue a = new(4), b = new(4);
        var mailbox = new MailboxQueue();
        var multicast = new Multicast(a, b, mailbox);
        void Cycle(ulong i)
        {
            multicast.Push(Take(pool, i));
            while (a.TryPop(out Packet p)) p.Release();
            while (b.TryPop(out Packet p)) p.Release();
            if (mailbox.TryTake(out Packet m)) m.Release();
        }
        for (ulong i = 0; i < 16; i++) Cycle(i); // warm up: the descriptors are made once
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong i = 0; i < 10_000; i++) Cycle(i);
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0L);
        pool.FreeCount.ShouldBe(4);
    }
}
