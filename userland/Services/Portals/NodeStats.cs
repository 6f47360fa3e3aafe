namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// One node's counters, kept in its own memory: above all, how often it entered the kernel to signal a peer or to
/// block (the goal: only when the other side really waits).
/// </summary>
public sealed class NodeStats
{
    /// <summary>notify syscalls on a peer's doorbell (each one a kernel entry to signal).</summary>
    public long Signals { get; internal set; }

    /// <summary>wait_any syscalls: times this node blocked (or found a signal pending) in a trap.</summary>
    public long Waits { get; internal set; }

    /// <summary>Parcels put by the application.</summary>
    public long ParcelsSent { get; internal set; }

    /// <summary>Parcels read by the application.</summary>
    public long ParcelsReceived { get; internal set; }

    /// <summary>Parcels this node forwarded as a proxy.</summary>
    public long ParcelsForwarded { get; internal set; }

    /// <summary>Parcels dropped because their sequence number was seen already (must stay 0).</summary>
    public long Duplicates { get; internal set; }

    /// <summary>Messages for keys nobody here registers (late messages of a broken route).</summary>
    public long Dropped { get; internal set; }

    /// <summary>Proxies of this node that were bypassed and removed.</summary>
    public long ProxiesRemoved { get; internal set; }

    /// <summary>Pairs of nodes this node introduced as a broker.</summary>
    public long Introductions { get; internal set; }

    /// <summary>Links that broke because the peer died.</summary>
    public long LinksLost { get; internal set; }
}
