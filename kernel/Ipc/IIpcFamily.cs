using MicroKernel.Processes;

namespace MicroKernel.Ipc;

/// <summary>
/// What an IPC family plugs into the kernel core besides its syscalls: delivering its upcalls at scheduling points,
/// cleaning up after a dying process, and telling the frame-accounting check which frames it holds in flight.
/// </summary>
internal interface IIpcFamily
{
    /// <summary>Runs one pending upcall of <paramref name="thread"/>'s process, if the family has one; true if it ran one.</summary>
    bool TryDeliverOne(SimThread thread);

    /// <summary>The process is dying: release everything the family holds for it (queued messages, waiters).</summary>
    void OnProcessExit(Process process);

    /// <summary>References to <paramref name="frame"/> the family holds itself (messages in flight).</summary>
    int PinnedReferences(ulong frame);

    /// <summary>A thread is ending (its process may live on): release what the family holds for that thread alone.</summary>
    void OnThreadExit(SimThread thread) { }

    /// <summary>
    /// What of the family's lies at <paramref name="address"/> of <paramref name="process"/>, in words a fault report
    /// adds ("shmem segment 3 of connection 1 (pids 2 and 3), owned by pid 3"); null when nothing of it is there.
    /// </summary>
    string? DescribeAddress(Process process, ulong address) => null;

    /// <summary>
    /// The family's own named invariants, added to the kernel's catalogue (<see cref="Kernel.Invariants"/>). A family
    /// added later adds its rules here.
    /// </summary>
    IEnumerable<Invariants.Invariant> Invariants => [];
}
