using MicroKernel.Userland.Runtime;
using Microsoft.Extensions.ObjectPool;

namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// The pool block: N packet buffers laid out by a reconciled <see cref="PacketLayout"/> in one region of the
/// process's memory, handed out in FIFO order and taken back when every holder released them. Descriptors come from
/// a <see cref="DefaultObjectPool{T}"/> and the free list is a preallocated queue, so a packet's life allocates
/// nothing in steady state. The region is an owned shared-memory segment (<see cref="CreateInSegment"/>: a boundary
/// destination's pool, owned by its process, which the other side maps with no access) or plain mapped memory
/// (<see cref="Create"/>).
/// </summary>
public sealed class PacketPool
{
    private readonly Queue<int> _free;
    private readonly ObjectPool<Packet> _descriptors;

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

    private static void CheckAlignment(string name, PacketLayout layout)
    {
        if (layout.Alignment > 4096) throw new ArgumentException($"pool {name}: alignment {layout.Alignment} is above a page", nameof(layout));
    }

    /// <summary>The owned segment that holds the buffers (<see cref="CreateInSegment"/>), or 0 for mapped memory.</summary>
    public int Segment { get; private init; }

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

    /// <summary>A free packet with one reference (the caller's), or false when every packet is held.</summary>
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

    // The last holder released it.
    internal void Return(Packet packet)
    {
        _free.Enqueue(packet.Index);
        Returned++;
        _descriptors.Return(packet);
    }
}
