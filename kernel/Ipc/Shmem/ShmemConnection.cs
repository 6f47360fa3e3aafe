using MicroKernel.Processes;

namespace MicroKernel.Ipc.Shmem;

/// <summary>
/// The connection of one pair of processes: what both name by its id to make segments for each other. Either side's
/// shm_connect(other pid) returns the same connection while it is open; closing it (or either side's exit) tears down
/// every segment it carries.
/// </summary>
internal sealed class ShmemConnection(int id, Process a, Process b)
{
    /// <summary>The id both processes use (kernel-wide, from 1, never reused).</summary>
    public int Id { get; } = id;

    /// <summary>The process with the lower pid.</summary>
    public Process A { get; } = a;

    /// <summary>The process with the higher pid.</summary>
    public Process B { get; } = b;

    /// <summary>The live segments it carries, by id.</summary>
    public SortedDictionary<int, Segment> Segments { get; } = [];

    /// <summary>
    /// The side that exited while the connection carried segments that survive it (<see cref="ShmemFlags.Survives"/>):
    /// the connection stays open for the survivor alone, with those segments, until it closes it or exits.
    /// </summary>
    public Process? Exited { get; set; }

    /// <summary>True when <paramref name="p"/> is one of the pair.</summary>
    public bool Has(Process p) => ReferenceEquals(p, A) || ReferenceEquals(p, B);

    /// <summary>The other process of the pair.</summary>
    public Process Peer(Process p) => ReferenceEquals(p, A) ? B : A;

    /// <inheritdoc />
    public override string ToString() => $"connection {Id} (pids {A.Pid} and {B.Pid})";
}
