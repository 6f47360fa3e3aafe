using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// The consumer's end of a by-reference link, in another process of the producer's memory domain: it maps the
/// producer's pool (the unsafe segment its segment handler received with <see cref="ReferenceProtocol.Attach"/>)
/// and turns each published descriptor into a packet of a view of that pool, whose buffer is the producer's own:
/// nothing is copied. Releasing such a packet puts its index in the released ring and signals the producer's
/// notification. Sync objects: this side makes the notification the producer signals (<see cref="WaitForPackets"/>).
/// At the end (<see cref="ReferenceProtocol"/>): <see cref="Finish"/> once every packet is back, then
/// <see cref="WaitClosed"/> until the producer destroyed the segment; from <see cref="Finish"/> on this side never
/// touches the segment.
/// </summary>
public sealed class ReferenceDestination
{
    private readonly Sys _sys;
    private readonly IPacketSink _sink;
    private readonly DescriptorRing _published, _released;
    private readonly ulong _state;
    private readonly Notification _publishedSignal;
    private readonly int _producerSignal;

    private ReferenceDestination(Sys sys, string name, in SegmentMessage message, PacketLayout layout, int count, IPacketSink sink)
    {
        _sys = sys;
        Name = name;
        _sink = sink;
        Segment = message.Segment;
        _state = message.Address + ReferenceProtocol.StateOffset;
        _published = new DescriptorRing(sys.Memory, message.Address + ReferenceProtocol.RingsOffset, count);
        _released = new DescriptorRing(sys.Memory, message.Address + ReferenceProtocol.ReleasedOffset(count), ReferenceProtocol.ReleasedCapacity(count));
        Pool = new PacketPool(name, layout, count, message.Address + ReferenceProtocol.HeaderSize(count, layout.Alignment), GiveBack);
        _publishedSignal = Notification.Create(sys, ReferenceProtocol.PublishedName(Segment));
        _producerSignal = Notification.Open(sys, ReferenceProtocol.ReleasedName(Segment)).Handle;
    }

    /// <summary>
    /// Attaches to the shared pool that <paramref name="message"/> (an <see cref="ReferenceProtocol.Attach"/> the
    /// segment handler received) carries: reads the layout from its header, makes this side's notification and opens
    /// the producer's. Call it from the consumer's thread (the handler only keeps the message).
    /// </summary>
    public static ReferenceDestination Attach(Sys sys, string name, in SegmentMessage message, IPacketSink sink)
    {
        if (message.Type != ReferenceProtocol.Attach || !message.Unsafe)
            throw new ArgumentException($"link {name}: segment {message.Segment} is not a shared pool (type 0x{message.Type:x})", nameof(message));
        int count = (int)sys.Memory.ReadUInt64(message.Address + ReferenceProtocol.CountOffset);
        ulong bufferSize = sys.Memory.ReadUInt64(message.Address + ReferenceProtocol.BufferSizeOffset);
        ulong alignment = sys.Memory.ReadUInt64(message.Address + ReferenceProtocol.AlignmentOffset);
        var layout = new PacketLayout(bufferSize, alignment, StreamAccess.Read, SyncRequirement.Wakeup);
        return new ReferenceDestination(sys, name, message, layout, count, sink);
    }

    /// <summary>The link's name.</summary>
    public string Name { get; }

    /// <summary>The shared pool's segment.</summary>
    public int Segment { get; }

    /// <summary>The view of the producer's pool: its packets' buffers are the producer's.</summary>
    public PacketPool Pool { get; }

    /// <summary>Descriptors taken and pushed to the sink.</summary>
    public long Received { get; private set; }

    /// <summary>Descriptors the sink refused (given straight back to the producer).</summary>
    public long Dropped { get; private set; }

    /// <summary>True once the producer published the end (packets published before it may still wait in the ring).</summary>
    public bool Ended => Detached || _sys.Memory.ReadUInt64(_state) >= ReferenceProtocol.Ended;

    /// <summary>Descriptors published and not taken yet.</summary>
    public int Waiting => Detached ? 0 : _published.Count;

    /// <summary>Packets of the producer's pool this side holds now (taken, not released).</summary>
    public long Holding => Pool.Acquired - Pool.Returned;

    /// <summary>True once <see cref="Finish"/> detached this side.</summary>
    public bool Detached { get; private set; }

    /// <summary>
    /// Detaches once the end came, every descriptor was taken and every packet released: puts
    /// <see cref="ReferenceProtocol.Detached"/> in the released ring and tells the producer, which may then destroy
    /// the segment. False (and nothing done) before that.
    /// </summary>
    public bool Finish()
    {
        if (Detached) return true;
        if (!Ended || Waiting > 0 || Holding > 0) return false;
        if (!_released.TryPut(ReferenceProtocol.Detached, 0, 0)) throw new InvalidOperationException($"link {Name}: the released ring is full");
        Detached = true; // from here on, nothing of the segment is read or written
        _sys.Syscall(SyscallNumber.Notify, (ulong)_producerSignal, 1);
        return true;
    }

    /// <summary>
    /// After <see cref="Finish"/>: waits on this side's notification until the producer destroyed the segment (true:
    /// shm_address fails) or <paramref name="timeout"/> ticks passed without news (false). No memory of the segment is read.
    /// </summary>
    public bool WaitClosed(long timeout)
    {
        while (_sys.Syscall(SyscallNumber.ShmAddress, (ulong)Segment) >= 0)
            if (!_publishedSignal.Wait(timeout)) return _sys.Syscall(SyscallNumber.ShmAddress, (ulong)Segment) < 0;
        return true;
    }

    /// <summary>Turns every published descriptor into a packet (by reference) and pushes it to the sink; how many.</summary>
    public int Poll()
    {
        if (Detached) return 0;
        int n = 0;
        while (_published.TryTake(out ulong index, out ulong sequence, out ulong length))
        {
            Packet packet = Pool.Adopt((int)index, sequence, length);
            n++;
            if (_sink.Push(packet))
            {
                Received++;
                continue;
            }
            Dropped++;
            packet.Release(); // straight back to the producer
        }
        return n;
    }

    /// <summary>Waits on this side's notification until the producer published something (true) or <paramref name="timeout"/> ticks passed.</summary>
    public bool WaitForPackets(long timeout) => _publishedSignal.Wait(timeout);

    // The view's way home: the index goes back through the released ring, and the producer is told.
    private void GiveBack(Packet packet)
    {
        if (!_released.TryPut((ulong)packet.Index, packet.Sequence, 0))
            throw new InvalidOperationException($"link {Name}: the released ring is full (more releases than packets)");
        _sys.Syscall(SyscallNumber.Notify, (ulong)_producerSignal, 1);
    }
}
