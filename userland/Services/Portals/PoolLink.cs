namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// A node's link to another node: their shared pool, the peer's doorbell and "alive" objects (handles in this
/// process), and the messages held back while this side's ring is full. Sending copies a message into the ring and
/// enters the kernel only when the peer said it waits (<see cref="Pool.TakePeerWaiting"/>).
/// </summary>
internal sealed class PoolLink(int peerPid, Pool pool, int bell, int alive) : NodeLink(peerPid)
{
    private ulong _nextKey = 2 + (ulong)pool.Side;

    /// <summary>The pool in simulated memory.</summary>
    public Pool Pool { get; } = pool;

    /// <summary>This process's handle of the peer's doorbell.</summary>
    public int Bell { get; } = bell;

    /// <summary>This process's handle of the peer's "alive" object (closes when the peer dies).</summary>
    public int Alive { get; } = alive;

    /// <summary>The pool's unsafe shmem segment (made to survive the peer's exit: docs/portals.md#the-pool).</summary>
    public int Segment { get; init; }

    /// <summary>True when the peer was gone before this node adopted the pool (no handles): read it, then drop it.</summary>
    public bool PeerGone { get; init; }

    /// <summary>True once <c>LinkDied</c> started on it (it runs once).</summary>
    public bool Dying { get; set; }

    /// <summary>Messages waiting for room in the ring, oldest first.</summary>
    public Queue<byte[]> Outbox { get; } = new();

    /// <inheritdoc />
    public override int Backlog => Outbox.Count;

    /// <inheritdoc />
    public override (Hop Mine, ulong TheirSendKey, ulong TheirRecvKey) NewHop()
    {
        ulong key = _nextKey;
        _nextKey += 2;
        return (new Hop(this, key, key), key, key);
    }

    /// <inheritdoc />
    public override void Send(Node node, byte[] message)
    {
        if (Dead) return;
        Outbox.Enqueue(message);
        node.Flush(this);
    }
}
