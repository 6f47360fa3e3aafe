namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// How a node reaches one node (itself, for its loopback): the keys registered on it, and how a message goes out.
/// Keys are allocated by side (even numbers by side 0, odd by side 1), so both ends of a link never pick the same.
/// </summary>
internal abstract class NodeLink(int peerPid)
{
    /// <summary>The key of the first portal pair of a link made by <see cref="Node.Connect"/>.</summary>
    public const ulong InitialKey = 1;

    /// <summary>The pid of the node at the other end.</summary>
    public int PeerPid { get; } = peerPid;

    /// <summary>Key -> the router end it leads to in this node.</summary>
    public Dictionary<ulong, HopEnd> Ends { get; } = [];

    /// <summary>Every key ever registered here (a key that is gone now went with a broken or bypassed router).</summary>
    public HashSet<ulong> Registered { get; } = [];

    /// <summary>True once the peer died or the link was dropped: nothing is sent or read any more.</summary>
    public bool Dead { get; set; }

    /// <summary>
    /// A message read from this link that cannot apply yet: a BypassWith naming a router whose portal has not arrived
    /// (it travels on another link and may come later), or a message for the link's first pair before the application
    /// called <see cref="Node.Connect"/> for this peer. Nothing more is read from this link until it applies, so the
    /// messages behind it stay in order.
    /// </summary>
    public byte[]? Parked { get; set; }

    /// <summary>A new hop across this link: the hop as this node holds it and as the far end must hold it.</summary>
    public abstract (Hop Mine, ulong TheirSendKey, ulong TheirRecvKey) NewHop();

    /// <summary>Sends (or holds back, when the pool's ring is full) one message.</summary>
    public abstract void Send(Node node, byte[] message);

    /// <summary>Messages held back because the ring was full.</summary>
    public abstract int Backlog { get; }
}
