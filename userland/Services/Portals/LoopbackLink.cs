namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// A node's link to itself, for hops between two routers of the same node (a pair made by <see cref="Node.OpenPair"/>
/// and the proxies of portals that pass through): a FIFO in this node's own memory, read at the next pump like a ring.
/// </summary>
internal sealed class LoopbackLink(int pid) : NodeLink(pid)
{
    private ulong _nextKey = 2;

    /// <summary>Messages not read yet.</summary>
    public Queue<byte[]> Queue { get; } = new();

    /// <inheritdoc />
    public override (Hop Mine, ulong TheirSendKey, ulong TheirRecvKey) NewHop()
    {
        ulong mine = _nextKey++, theirs = _nextKey++;
        return (new Hop(this, theirs, mine), mine, theirs);
    }

    /// <inheritdoc />
    public override void Send(Node node, byte[] message) => Queue.Enqueue(message);

    /// <inheritdoc />
    public override int Backlog => 0;
}
