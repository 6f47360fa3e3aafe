using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// A single-producer, single-consumer ring of packet descriptors in memory that two processes of one memory domain
/// both map (an unsafe segment): a head the writer advances, a tail the reader advances, and
/// <see cref="Capacity"/> slots of three words (buffer index, sequence, length). Only descriptors go through it;
/// the buffers stay where they are. The counters only grow (slot = counter mod capacity), so full and empty are
/// told apart without a spare slot. Each side reaches it at its own address: the memory is the same.
/// </summary>
public sealed class DescriptorRing
{
    private const ulong SlotBytes = 24;
    private readonly UserMemory _memory;
    private readonly ulong _head, _tail, _slots;

    /// <summary>The ring at <paramref name="address"/> in the caller's mapping, seen through <paramref name="memory"/>.</summary>
    public DescriptorRing(UserMemory memory, ulong address, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _memory = memory;
        _head = address;
        _tail = address + 8;
        _slots = address + 16;
        Capacity = capacity;
    }

    /// <summary>The bytes a ring of <paramref name="capacity"/> slots takes (two counters, then the slots).</summary>
    public static ulong Bytes(int capacity) => 16 + SlotBytes * (ulong)capacity;

    /// <summary>How many descriptors it holds at most.</summary>
    public int Capacity { get; }

    /// <summary>Descriptors written and not read yet.</summary>
    public int Count => (int)(_memory.ReadUInt64(_head) - _memory.ReadUInt64(_tail));

    /// <summary>The writer's side: puts one descriptor at the head; false when the ring is full.</summary>
    public bool TryPut(ulong index, ulong sequence, ulong length)
    {
        ulong head = _memory.ReadUInt64(_head);
        if (head - _memory.ReadUInt64(_tail) >= (ulong)Capacity) return false;
        ulong slot = _slots + head % (ulong)Capacity * SlotBytes;
        _memory.WriteUInt64(slot, index);
        _memory.WriteUInt64(slot + 8, sequence);
        _memory.WriteUInt64(slot + 16, length);
        _memory.WriteUInt64(_head, head + 1); // the slot first, then the head that publishes it
        return true;
    }

    /// <summary>The reader's side: takes the oldest descriptor; false when the ring is empty.</summary>
    public bool TryTake(out ulong index, out ulong sequence, out ulong length)
    {
        ulong tail = _memory.ReadUInt64(_tail);
        if (tail == _memory.ReadUInt64(_head))
        {
            index = sequence = length = 0;
            return false;
        }
        ulong slot = _slots + tail % (ulong)Capacity * SlotBytes;
        index = _memory.ReadUInt64(slot);
        sequence = _memory.ReadUInt64(slot + 8);
        length = _memory.ReadUInt64(slot + 16);
        _memory.WriteUInt64(_tail, tail + 1);
        return true;
    }
}
