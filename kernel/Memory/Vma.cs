namespace MicroKernel.Memory;

/// <summary>
/// A virtual memory area: one contiguous, page-aligned range of an address space with one protection and a name,
/// as a line of /proc/PID/maps shows it. The page tables (or MPU regions) hold the truth the hardware uses;
/// VMAs describe it for the kernel and for dumps.
/// </summary>
public sealed class Vma
{
    /// <summary>Creates a VMA covering [start, end).</summary>
    public Vma(ulong start, ulong end, Protection protection, string name)
    {
        Start = start;
        End = end;
        Protection = protection;
        Name = name;
    }

    /// <summary>First address (page-aligned).</summary>
    public ulong Start { get; internal set; }

    /// <summary>One past the last address (page-aligned).</summary>
    public ulong End { get; internal set; }

    /// <summary>The protection every page of the area has.</summary>
    public Protection Protection { get; internal set; }

    /// <summary>What the area is: "anon", "stack", "ipc from pid 3"...</summary>
    public string Name { get; internal set; }

    /// <summary>MPU only: the first physical frame of the contiguous block behind the area.</summary>
    public ulong FirstFrame { get; internal set; }

    /// <summary>MPU only: how many frames the block holds (a power of two on ARMv7-M, may exceed the area).</summary>
    public ulong BlockFrames { get; internal set; }

    /// <summary>True for an RPC SHARED buffer: callees of this process's rpc_calls may use it during the call.</summary>
    public bool Shared { get; internal set; }

    /// <summary>
    /// The owned shared-memory segment this area shows (kernel/Ipc/Shmem), 0 for none. Such an area changes only
    /// through the segment's syscalls: unmap, protect and page send refuse it.
    /// </summary>
    public int Segment { get; internal set; }

    /// <summary>Length in bytes.</summary>
    public ulong Length => End - Start;

    /// <summary>True when <paramref name="address"/> lies inside.</summary>
    public bool Contains(ulong address) => address >= Start && address < End;

    /// <inheritdoc />
    public override string ToString() => $"{Start:x12}-{End:x12} {Protection.ToRwx()}{(Shared ? 's' : 'p')} {Name}";
}
