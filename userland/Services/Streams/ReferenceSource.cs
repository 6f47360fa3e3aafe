using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// The producer's end of a by-reference link to a consumer in another process of the same memory domain: a sink
/// that publishes each packet's descriptor (buffer index, sequence, length) in the shared pool's published ring and
/// signals the consumer's notification; the bytes are not touched, the consumer reads them where the producer wrote
/// them. It holds the packet (one reference) until the consumer's index comes back through the released ring
/// (<see cref="Reclaim"/>). Inside one domain nothing is isolated: both map the pool read/write (an unsafe segment),
/// which is why a consumer that must not be trusted sits behind a memory boundary instead.
/// </summary>
public sealed class ReferenceSource : IPacketSink
{
    private readonly Sys _sys;
    private readonly PacketPool _pool;
    private readonly DescriptorRing _published, _released;
    private readonly Packet?[] _held;
    private readonly Notification _releasedSignal;
    private readonly int _peerSignal;

    private ReferenceSource(Sys sys, string name, PacketPool pool, Notification releasedSignal, int peerSignal, int maxHeld)
    {
        MaxHeld = maxHeld;
        _sys = sys;
        Name = name;
        _pool = pool;
        _published = new DescriptorRing(sys.Memory, pool.SegmentAddress + ReferenceProtocol.RingsOffset, pool.Count);
        _released = new DescriptorRing(sys.Memory, pool.SegmentAddress + ReferenceProtocol.ReleasedOffset(pool.Count), ReferenceProtocol.ReleasedCapacity(pool.Count));
        _held = new Packet?[pool.Count];
        _releasedSignal = releasedSignal;
        _peerSignal = peerSignal;
    }

    /// <summary>
    /// Links <paramref name="pool"/> (made by <see cref="PacketPool.CreateShared"/> on the connection with
    /// <paramref name="peer"/>) to the consumer process <paramref name="peer"/>, whose segment handler must be bound:
    /// makes this side's notification, sends the segment once (<see cref="ReferenceProtocol.Attach"/>; unsafe, so
    /// this side keeps its access) and opens the consumer's notification once it made it. The consumer may hold at
    /// most <paramref name="maxHeld"/> of the pool's packets at once (0: all of them); past that the link refuses, so
    /// a consumer that stalls keeps the rest of the pool free for the producer's other outputs.
    /// </summary>
    public static ReferenceSource Connect(Sys sys, string name, PacketPool pool, int peer, int maxHeld = 0)
    {
        if (!pool.Shared) throw new ArgumentException($"pool {pool.Name} is not shared: make it with PacketPool.CreateShared", nameof(pool));
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeld);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxHeld, pool.Count);
        var released = Notification.Create(sys, ReferenceProtocol.ReleasedName(pool.Segment));
        sys.ShmSend(pool.Segment, ReferenceProtocol.Attach);
        var published = Notification.OpenWhenCreated(sys, ReferenceProtocol.PublishedName(pool.Segment));
        return new ReferenceSource(sys, name, pool, released, published.Handle, maxHeld == 0 ? pool.Count : maxHeld) { Peer = peer };
    }

    /// <summary>The link's name (in accounts).</summary>
    public string Name { get; }

    /// <summary>The consumer's pid.</summary>
    public int Peer { get; private init; }

    /// <summary>Descriptors published.</summary>
    public long Published { get; private set; }

    /// <summary>Packets the consumer gave back.</summary>
    public long Released { get; private set; }

    /// <summary>Packets the consumer holds now (published, not released, not taken back by <see cref="Close"/>).</summary>
    public long Outstanding => Published - Released - TakenBack;

    /// <summary>How many of the pool's packets the consumer may hold at once: past that <see cref="Push"/> refuses.</summary>
    public int MaxHeld { get; }

    /// <summary>Packets the consumer still held when <see cref="Close"/> destroyed the segment, taken back then.</summary>
    public long TakenBack { get; private set; }

    /// <summary>True once the end was published.</summary>
    public bool Ended { get; private set; }

    /// <inheritdoc />
    public bool Push(Packet packet)
    {
        if (!ReferenceEquals(packet.Pool, _pool) || Ended) return false; // by reference: only this pool's buffers
        Reclaim();
        if (Outstanding >= MaxHeld) return false; // a slow or stalled consumer does not get the whole pool
        if (!_published.TryPut((ulong)packet.Index, packet.Sequence, packet.Length)) return false;
        _held[packet.Index] = packet; // the multicast's reference, until the consumer releases it
        Published++;
        _sys.Syscall(SyscallNumber.Notify, (ulong)_peerSignal, 1);
        return true;
    }

    /// <summary>
    /// True once the consumer detached (<see cref="ReferenceProtocol.Detached"/>): it gave every buffer back and will
    /// not touch the segment again.
    /// </summary>
    public bool PeerDetached { get; private set; }

    /// <summary>Takes back every packet the consumer released since the last call (their buffers go back to the pool); how many.</summary>
    public int Reclaim()
    {
        int n = 0;
        while (!Closed && _released.TryTake(out ulong index, out _, out _))
        {
            if (index == ReferenceProtocol.Detached)
            {
                PeerDetached = true;
                continue;
            }
            Packet packet = _held[index] ?? throw new InvalidOperationException($"link {Name}: the consumer released buffer {index}, which it did not hold");
            _held[index] = null;
            Released++;
            n++;
            packet.Release();
        }
        return n;
    }

    /// <summary>Publishes the end: the consumer stops once it read every descriptor before it.</summary>
    public void End()
    {
        if (Ended) return;
        _sys.Memory.WriteUInt64(_pool.SegmentAddress + ReferenceProtocol.StateOffset, ReferenceProtocol.Ended);
        Ended = true;
        _sys.Syscall(SyscallNumber.Notify, (ulong)_peerSignal, 1);
    }

    /// <summary>
    /// Waits on this side's notification until the consumer gave every packet back and detached (true), or
    /// <paramref name="timeout"/> ticks passed without a release (false: a stalled consumer is not waited for longer).
    /// </summary>
    public bool WaitDetached(long timeout)
    {
        while (true)
        {
            Reclaim();
            if (PeerDetached) return Outstanding == 0;
            if (!_releasedSignal.Wait(timeout))
            {
                Reclaim();
                return PeerDetached && Outstanding == 0;
            }
        }
    }

    /// <summary>
    /// Waits on this side's notification for the consumer's next release: true when a buffer came back, false when
    /// <paramref name="timeout"/> ticks passed first (a producer whose pool is empty waits with it).
    /// </summary>
    public bool WaitForRelease(long timeout)
    {
        if (Reclaim() > 0) return true;
        while (_releasedSignal.Wait(timeout))
            if (Reclaim() > 0) return true;
        return false;
    }

    /// <summary>True once <see cref="Close"/> destroyed the segment.</summary>
    public bool Closed { get; private set; }

    /// <summary>
    /// Destroys the pool's segment (unmapped from both sides, frames freed) and wakes the consumer, which learns it
    /// by a failing shm_address. Call it after <see cref="WaitDetached"/>. A consumer that did not detach (it
    /// stalled) loses its mapping here: the packets it still held are taken back (<see cref="TakenBack"/>; nobody
    /// can touch their buffers any more), and its next touch of the pool faults (NotPresent under paging, NoRegion
    /// under an MPU) and ends its process, as a process of the same memory domain may.
    /// </summary>
    public void Close()
    {
        if (Closed) return;
        Closed = true;
        _sys.Syscall(SyscallNumber.ShmDestroy, (ulong)_pool.Segment);
        _sys.Syscall(SyscallNumber.Notify, (ulong)_peerSignal, 1);
        for (int i = 0; i < _held.Length; i++)
        {
            if (_held[i] is not Packet packet) continue;
            _held[i] = null;
            TakenBack++;
            packet.Release(); // the account balances: the buffer is gone with the segment, the packet is not lost
        }
    }
}
