namespace MicroKernel.Invariants;

/// <summary>
/// The parts of the kernel's state the invariant catalogue reads, as flags. Each invariant declares what it reads
/// (<see cref="Invariant.Reads"/>); the code that changes a part marks it changed (<see cref="StateChanges"/>), and a
/// check point re-runs only the invariants that read a changed part. The end of the run checks them all.
/// </summary>
[Flags]
public enum CheckedState
{
    /// <summary>Nothing changed (a getpid, a yield that switched to nobody).</summary>
    None = 0,

    /// <summary>The frame allocator's books: frame uses and reference counts.</summary>
    Frames = 1,

    /// <summary>Address spaces: VMAs, page-table entries, MPU regions and budgets.</summary>
    Spaces = 2,

    /// <summary>The TLB's entries and the loaded page tables (CR3).</summary>
    Tlb = 4,

    /// <summary>
    /// Anything else the IPC families and the process table hold (queues, grants, notification objects, segments,
    /// threads, processes): marked by every syscall that does not declare less, by exits, upcalls and injected faults.
    /// </summary>
    Other = 8,

    /// <summary>Every part.</summary>
    All = Frames | Spaces | Tlb | Other,
}
