using MicroKernel.Processes;

namespace MicroKernel.Ipc.Shmem;

/// <summary>Where a segment is in the ownership protocol.</summary>
internal enum SegmentState
{
    /// <summary>Its owner has read/write access; the peer has none.</summary>
    Owned,
    /// <summary>Sent (shm_send or shm_call) and not delivered yet: nobody has access.</summary>
    InFlight,
    /// <summary>Lent to the peer's handler by shm_call: the peer owns it until the handler returns.</summary>
    Lent,
}

/// <summary>
/// One owned shared-memory segment: the same frames mapped into both processes of a connection, at an address each
/// side's space picked, read/write for the owner and no access for the other side (unsafe: read/write for both).
/// </summary>
internal sealed class Segment(int id, ShmemConnection connection, ulong size, bool isUnsafe, Process owner, bool survives = false)
{
    /// <summary>Made with <see cref="ShmemFlags.Survives"/>: stays mapped in the survivor when its peer exits.</summary>
    public bool Survives { get; } = survives;

    /// <summary>The id (kernel-wide, from 1, never reused).</summary>
    public int Id { get; } = id;

    /// <summary>The connection that carries it.</summary>
    public ShmemConnection Connection { get; } = connection;

    /// <summary>The size shm_create asked for, in bytes (the areas are whole pages, or a whole MPU block).</summary>
    public ulong Size { get; } = size;

    /// <summary>True for an unsafe segment: read/write for both sides, ownership never checked.</summary>
    public bool Unsafe { get; } = isUnsafe;

    /// <summary>The process that owns it (for a segment in flight: the one it goes to).</summary>
    public Process Owner { get; set; } = owner;

    /// <summary>Where it is in the protocol.</summary>
    public SegmentState State { get; set; }

    /// <summary>Where the lower-pid process maps it.</summary>
    public ulong AddressA { get; set; }

    /// <summary>Where the higher-pid process maps it.</summary>
    public ulong AddressB { get; set; }

    /// <summary>
    /// The messages carrying it that are queued, or calls whose handler has not returned it yet (an owned segment has
    /// at most one; an unsafe one may be in several messages at once).
    /// </summary>
    public List<ShmemMessage> Messages { get; } = [];

    /// <summary>Where <paramref name="p"/> (one of the pair) maps it.</summary>
    public ulong AddressIn(Process p) => ReferenceEquals(p, Connection.A) ? AddressA : AddressB;

    /// <summary>Who owns it, in words for fault reports and invariant problems.</summary>
    public string Describe() => Unsafe
        ? $"unsafe shmem segment {Id} of {Connection}{(Connection.Exited is { } gone ? $", kept after pid {gone.Pid} exited" : "")}"
        : State switch
        {
            SegmentState.InFlight => $"shmem segment {Id} of {Connection}, in flight to pid {Owner.Pid}",
            SegmentState.Lent => $"shmem segment {Id} of {Connection}, owned by pid {Owner.Pid} (lent in a call)",
            _ => $"shmem segment {Id} of {Connection}, owned by pid {Owner.Pid}",
        };
}
