using MicroKernel.Userland.Runtime;
using Microsoft.Extensions.ObjectPool;

namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// The pool block: N packet buffers laid out by a reconciled <see cref="PacketLayout"/> in one region of the
/// process's memory, handed out in FIFO order and taken back when every holder released them. Descriptors come from
/// a <see cref="DefaultObjectPool{T}"/> and the free list is a preallocated queue, so a packet's life allocates
/// nothing in steady state. The region is an owned shared-memory segment (<see cref="CreateInSegment"/>: a boundary
/// destination's pool, owned by its process, which the other side maps with no access), an unsafe segment shared by
/// reference with another process of the same memory domain (<see cref="CreateShared"/>, and on that side a view of
/// it, which a <see cref="ReferenceDestination"/> makes), or plain mapped memory (<see cref="Create"/>).
/// </summary>
public sealed class PacketPool
{
    private readonly Queue<int> _free;
    private readonly ObjectPool<Packet> _descriptors;
    // A view's way home: the buffers belong to the producer's pool, so a released packet goes back through the
    // released ring (ReferenceDestination), not onto a free list here. Null for a pool that owns its buffers.
    private readonly Action<Packet>? _giveBack;

    /// <summary>A pool of <paramref name="count"/> buffers at <paramref name="baseAddress"/> (already mapped, aligned to the layout).</summary>
    public PacketPool(string name, PacketLayout layout, int count, ulong baseAddress)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (baseAddress % layout.Alignment != 0) throw new ArgumentException($"pool {name}: base 0x{baseAddress:x} is not aligned to {layout.Alignment}", nameof(baseAddress));
        Name = name;
        Layout = layout;
        Count = count;
        BaseAddress = baseAddress;
        _free = new Queue<int>(count);
        for (int i = 0; i < count; i++) _free.Enqueue(i);
        _descriptors = new DefaultObjectPool<Packet>(new DefaultPooledObjectPolicy<Packet>(), count);
    }

    // A view of a pool that another process of the same domain owns (ReferenceDestination.Attach): it hands out only
    // the packets that process published (Adopt), and gives each back through `giveBack`.
    internal PacketPool(string name, PacketLayout layout, int count, ulong baseAddress, Action<Packet> giveBack)
        : this(name, layout, count, baseAddress)
    {
        _free.Clear();
        _giveBack = giveBack;
    }

    /// <summary>Maps the pool's buffers in the calling process (page-aligned, which covers alignments up to a page).</summary>
    public static PacketPool Create(Sys sys, string name, PacketLayout layout, int count)
    {
        CheckAlignment(name, layout);
        return new PacketPool(name, layout, count, sys.Map(layout.Stride * (ulong)count));
    }

    /// <summary>
    /// Puts the pool's buffers in one owned segment made on <paramref name="connection"/> (docs/shmem.md): this
    /// process owns it and never sends it, so the peer maps it with no access and faults if it touches a buffer. The
    /// segment goes when the connection does (either side's exit): its frames are freed with it.
    /// </summary>
    public static PacketPool CreateInSegment(Sys sys, string name, PacketLayout layout, int count, int connection)
    {
        CheckAlignment(name, layout);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        int segment = sys.ShmCreate(connection, layout.Stride * (ulong)count);
        return new PacketPool(name, layout, count, sys.ShmAddress(segment)) { Segment = segment };
    }

    /// <summary>
    /// Puts the pool in one unsafe segment made on <paramref name="connection"/> (read/write for both sides, always),
    /// behind a <see cref="ReferenceProtocol"/> header: a consumer in another process of the same memory domain reads
    /// the buffers where they are, by reference (<see cref="ReferenceSource"/>, <see cref="ReferenceDestination"/>).
    /// The segment goes when the connection does (either side's exit), and its frames with it.
    /// </summary>
    public static PacketPool CreateShared(Sys sys, string name, PacketLayout layout, int count, int connection)
    {
        CheckAlignment(name, layout);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ulong header = ReferenceProtocol.HeaderSize(count, layout.Alignment);
        int segment = sys.ShmCreate(connection, header + layout.Stride * (ulong)count, Ipc.Shmem.ShmemFlags.Unsafe);
        ulong at = sys.ShmAddress(segment);
        sys.Memory.WriteUInt64(at + ReferenceProtocol.CountOffset, (ulong)count);
        sys.Memory.WriteUInt64(at + ReferenceProtocol.StrideOffset, layout.Stride);
        sys.Memory.WriteUInt64(at + ReferenceProtocol.BufferSizeOffset, layout.BufferSize);
        sys.Memory.WriteUInt64(at + ReferenceProtocol.AlignmentOffset, layout.Alignment);
        return new PacketPool(name, layout, count, at + header) { Segment = segment, SegmentAddress = at, Shared = true };
    }

    private static void CheckAlignment(string name, PacketLayout layout)
    {
        if (layout.Alignment > 4096) throw new ArgumentException($"pool {name}: alignment {layout.Alignment} is above a page", nameof(layout));
    }

    /// <summary>The segment that holds the buffers (<see cref="CreateInSegment"/>, <see cref="CreateShared"/>), or 0 for mapped memory.</summary>
    public int Segment { get; private init; }

    /// <summary>Where the segment starts in this process (a shared pool's header is there), or 0.</summary>
    public ulong SegmentAddress { get; private init; }

    /// <summary>True for a pool in an unsafe segment shared by reference (<see cref="CreateShared"/>).</summary>
    public bool Shared { get; private init; }

    /// <summary>True for a view of another process's pool: it hands out only what that process published.</summary>
    public bool IsView => _giveBack is not null;

    /// <summary>The pool's name (in accounts).</summary>
    public string Name { get; }

    /// <summary>The reconciled layout.</summary>
    public PacketLayout Layout { get; }

    /// <summary>How many packets it has.</summary>
    public int Count { get; }

    /// <summary>Where the first buffer is.</summary>
    public ulong BaseAddress { get; }

    /// <summary>How many packets are in the pool now (not held by any block).</summary>
    public int FreeCount => _free.Count;

    /// <summary>Packets handed out since the start.</summary>
    public long Acquired { get; private set; }

    /// <summary>Packets that came back.</summary>
    public long Returned { get; private set; }

    /// <summary>A free packet with one reference (the caller's), or false when every packet is held (always, for a view).</summary>
    public bool TryAcquire(out Packet packet)
    {
        if (_free.Count == 0)
        {
            packet = null!;
            return false;
        }
        int index = _free.Dequeue();
        packet = _descriptors.Get();
        packet.Hand(this, index, BaseAddress + (ulong)index * Layout.Stride);
        Acquired++;
        return true;
    }

    // A view hands out the buffer its owner published, with one reference (the consumer's).
    internal Packet Adopt(int index, ulong sequence, ulong length)
    {
        Packet packet = _descriptors.Get();
        packet.Hand(this, index, BaseAddress + (ulong)index * Layout.Stride);
        packet.Sequence = sequence;
        packet.Length = length;
        Acquired++;
        return packet;
    }

    // The last holder released it: back on the free list, or (a view) back to the owner.
    internal void Return(Packet packet)
    {
        if (_giveBack is not null) _giveBack(packet);
        else _free.Enqueue(packet.Index);
        Returned++;
        _descriptors.Return(packet);
    }
}
