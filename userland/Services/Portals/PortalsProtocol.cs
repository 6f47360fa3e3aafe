namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// The numbers and names two nodes agree on (docs/portals.md): the page-send type of a pool offer, the public
/// notification names of a node's doorbell and of its "alive" object, the pool's size and the parcel limits.
/// </summary>
public static class PortalsProtocol
{
    /// <summary>The shm message type that carries a pool (an unsafe segment) to its second node (0x5054: "PT").</summary>
    public const ulong PoolOfferType = 0x5054;

    /// <summary>The shm message type of an owned segment travelling with a parcel (0x5055).</summary>
    public const ulong SegmentType = 0x5055;

    /// <summary>Pages of one pool: a 128-byte header and two rings, one per direction.</summary>
    public const ulong PoolPages = 4;

    /// <summary>Largest parcel payload in bytes; a larger Put is refused (no page-send fallback: docs/portals.md).</summary>
    public const int MaxParcelBytes = 2048;

    /// <summary>Most portals one parcel may carry.</summary>
    public const int MaxParcelPortals = 8;

    /// <summary>Most owned segments one parcel may carry.</summary>
    public const int MaxParcelSegments = 4;

    /// <summary>
    /// Messages a link may hold back (its ring full) before Put on a portal that crosses it answers
    /// <see cref="PortalResult.PoolFull"/>: the back-pressure of a full pool.
    /// </summary>
    public const int OutboxLimit = 32;

    /// <summary>Most links one node may have (wait_any waits on 16 objects: its doorbell and one per peer).</summary>
    public const int MaxLinks = 15;

    /// <summary>The public notification a node is woken through: its doorbell.</summary>
    public static string BellName(int pid) => string.Create(CultureInfo.InvariantCulture, $"portals.bell.{pid}");

    /// <summary>The public notification a node never notifies: its close at the node's exit tells peers it died.</summary>
    public static string AliveName(int pid) => string.Create(CultureInfo.InvariantCulture, $"portals.alive.{pid}");
}
