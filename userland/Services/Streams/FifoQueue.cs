namespace MicroKernel.Userland.Services.Streams;

/// <summary>The FIFO queue block: every packet, in order; a full queue refuses (the pusher decides what to do).</summary>
public sealed class FifoQueue : IPacketSink
{
    private readonly Queue<Packet> _packets;

    /// <summary>A queue holding at most <paramref name="capacity"/> packets.</summary>
    public FifoQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _packets = new Queue<Packet>(capacity);
    }

    /// <summary>The most packets it holds.</summary>
    public int Capacity { get; }

    /// <summary>Packets waiting.</summary>
    public int Count => _packets.Count;

    /// <inheritdoc />
    public bool Push(Packet packet)
    {
        if (_packets.Count == Capacity) return false;
        _packets.Enqueue(packet);
        return true;
    }

    /// <summary>The oldest packet (the consumer now holds its reference), or false when empty.</summary>
    public bool TryPop(out Packet packet) => _packets.TryDequeue(out packet!);
}
