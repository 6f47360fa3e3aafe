using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// What <see cref="Node.Get"/> returns: the bytes, the portals and the owned segments a parcel carried, now this
/// node's. <see cref="Hops"/> counts the links it crossed (1 on a direct route; more while proxies are in the way).
/// </summary>
public sealed class Parcel
{
    internal Parcel(long sequence, int hops, byte[] bytes, Portal[] portals, Shmem[] segments)
    {
        Sequence = sequence;
        Hops = hops;
        Bytes = bytes;
        Portals = portals;
        Segments = segments;
    }

    /// <summary>Its number on its route, from 0 (the sender's count of parcels put before it).</summary>
    public long Sequence { get; }

    /// <summary>Links crossed on the way (the loopback of a node counts too).</summary>
    public int Hops { get; internal set; }

    /// <summary>The payload.</summary>
    public byte[] Bytes { get; }

    /// <summary>The portals it carried: handles of this node now.</summary>
    public IReadOnlyList<Portal> Portals { get; }

    /// <summary>The owned shared-memory segments it carried: this process owns them now.</summary>
    public IReadOnlyList<Shmem> Segments { get; internal set; }
}
