using System.Text;
using MicroKernel.Hardware;
using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

/// <summary>
/// The memory of one process: a <see cref="MemoryView"/> that also owns its mappings. It holds the VMAs and the
/// hardware structure that enforces them (page tables under paging, a region set under an MPU); the kernel's
/// map/unmap/protect go through the methods here, which validate first and change nothing on error. How pages move
/// between spaces (AddressSpace.Transfer.cs), how RPC grants and SHARED buffers are made (AddressSpace.Rpc.cs) and
/// where a program's stack goes are questions each protection model answers for itself, so kernel and IPC code
/// never ask which model a space uses.
/// </summary>
public abstract partial class AddressSpace : MemoryView
{
    private protected readonly VmaList Vmas = new();

    /// <summary>Creates the address space on <paramref name="machine"/>, taking frames from <paramref name="frames"/>.</summary>
    private protected AddressSpace(Machine machine, FrameAllocator frames) : base(machine)
    {
        Frames = frames;
    }

    /// <summary>The kernel's frame allocator.</summary>
    public FrameAllocator Frames { get; }

    /// <summary>The areas, sorted by address.</summary>
    public IReadOnlyList<Vma> Areas => Vmas.Areas;

    /// <summary>
    /// Counts changes to the mappings (map, unmap, protect, pages sent or received, copy-on-write breaks): an RPC
    /// grant built over this space stays reusable only while the count it saw is unchanged.
    /// </summary>
    public long Generation { get; private set; }

    /// <summary>
    /// The mappings changed: cached RPC grants over this space must be rebuilt, and the invariants that read the VMAs
    /// must run at the next check point (under an MPU a space that is not loaded changes no register that would say so).
    /// </summary>
    private protected void Changed()
    {
        Generation++;
        Machine.Memory.Changes.Mark(Invariants.CheckedState.Spaces);
    }

    /// <summary>Set once <see cref="Destroy"/> ran; every access then faults.</summary>
    public bool IsDestroyed { get; private protected set; }

    /// <summary>Frees every frame and table; the space cannot be used afterwards.</summary>
    public abstract void Destroy();

    /// <summary>Every (virtual page, frame) of user memory this space maps, for frame-accounting checks.</summary>
    public abstract IEnumerable<(ulong VirtualAddress, ulong Frame)> UserFrames();

    /// <summary>
    /// Where a program's main stack of <paramref name="size"/> bytes goes, as an address for <see cref="Map(ulong, ulong, Protection, string, out ulong)"/>: under
    /// paging a fixed spot near the top of the user half (every process has the whole range to itself), under an MPU
    /// 0, so the kernel picks a free block (the physical memory is shared by every process).
    /// </summary>
    public abstract ulong MainStackAddress(ulong size);

    /// <summary>
    /// Advice for a program loader when <see cref="Map(ulong, ulong, Protection, string, out ulong)"/> refused [start, start + length) with
    /// <paramref name="error"/> for a reason of this protection model (an ARMv7-M region's alignment rule, say); null
    /// when the error code says all there is to say.
    /// </summary>
    public virtual string? MapRefusalAdvice(ulong start, ulong length, ErrorCode error) => null;

    /// <summary>
    /// Maps <paramref name="length"/> bytes (rounded up to pages) of zeroed memory. <paramref name="address"/> 0
    /// lets the kernel choose; otherwise it must be page-aligned and the range free.
    /// </summary>
    public ErrorCode Map(ulong address, ulong length, Protection protection, string name, out ulong mapped) =>
        Map(address, length, protection, MapFlags.None, name, out mapped);

    /// <summary>
    /// Maps as <see cref="Map(ulong, ulong, Protection, string, out ulong)"/>, with <paramref name="flags"/>: with
    /// <see cref="MapFlags.LargePages"/> the address must be aligned to and the length is rounded up to
    /// <see cref="LargePageSize"/>, and only a space that has large pages takes it (InvalidArgument otherwise).
    /// </summary>
    public ErrorCode Map(ulong address, ulong length, Protection protection, MapFlags flags, string name, out ulong mapped)
    {
        mapped = 0;
        if ((protection & ~ProtectionExtensions.All) != 0 || length == 0 || (flags & ~MapFlags.LargePages) != 0) return ErrorCode.InvalidArgument;
        bool large = (flags & MapFlags.LargePages) != 0;
        if (large && !HasLargePages) return ErrorCode.InvalidArgument;
        if (IsDestroyed) return ErrorCode.BadAddress;
        ulong unit = large ? LargePageSize : PageSize;
        if ((address & (unit - 1)) != 0) return ErrorCode.Misaligned;
        if (length > UserHigh) return ErrorCode.OutOfMemory;
        ulong size = (length + unit - 1) & ~(unit - 1);
        if (address != 0)
        {
            if (!InUserRange(address, size) || IsReserved(address, address + size)) return ErrorCode.BadAddress;
            if (Vmas.Overlaps(address, address + size)) return ErrorCode.AlreadyMapped;
        }
        ErrorCode e = large ? MapLargeCore(address, size, protection, name, out mapped) : MapCore(address, size, protection, name, out mapped);
        if (e == ErrorCode.Ok) Changed();
        return e;
    }

    /// <summary>True when [start, end) touches addresses ordinary maps may not use (the paging RPC window).</summary>
    private protected virtual bool IsReserved(ulong start, ulong end) => false;

    /// <summary>
    /// Unmaps whole pages of [address, address + length) and frees their frames; the range must be mapped and hold no
    /// shared-memory segment (NotPermitted: a segment goes away only through its own syscalls).
    /// </summary>
    public ErrorCode Unmap(ulong address, ulong length)
    {
        ErrorCode check = CheckMappedRange(address, length, out ulong end);
        if (check != ErrorCode.Ok) return check;
        if (TouchesSegment(address, end)) return ErrorCode.NotPermitted;
        Changed();
        return UnmapCore(address, end);
    }

    /// <summary>
    /// Changes the protection of every page of [address, address + length); the range must be mapped and hold no
    /// shared-memory segment (NotPermitted: a segment's access follows its owner).
    /// </summary>
    public ErrorCode Protect(ulong address, ulong length, Protection protection)
    {
        if ((protection & ~ProtectionExtensions.All) != 0) return ErrorCode.InvalidArgument;
        ErrorCode check = CheckMappedRange(address, length, out ulong end);
        if (check != ErrorCode.Ok) return check;
        if (TouchesSegment(address, end)) return ErrorCode.NotPermitted;
        Changed();
        return ProtectCore(address, end, protection);
    }

    /// <summary>A /proc/PID/maps-style listing, one VMA a line.</summary>
    public string DumpMaps()
    {
        var sb = new StringBuilder();
        foreach (Vma v in Vmas.Areas) sb.AppendLine(v.ToString());
        return sb.ToString();
    }

    /// <summary>Rounds up to a whole number of pages.</summary>
    public static ulong RoundUp(ulong length) => (length + PageSize - 1) & ~(PageSize - 1);

    private protected abstract ErrorCode MapCore(ulong address, ulong size, Protection protection, string name, out ulong mapped);

    /// <summary>Bytes of a large page (2 MiB, an x86-64 PDE with PS).</summary>
    public const ulong LargePageSize = 1UL << 21;

    /// <summary>True when <see cref="MapFlags.LargePages"/> is possible here (paging; an MPU has no pages).</summary>
    public virtual bool HasLargePages => false;

    /// <summary>Maps [address, address + size) with large pages (size a multiple of <see cref="LargePageSize"/>).</summary>
    private protected virtual ErrorCode MapLargeCore(ulong address, ulong size, Protection protection, string name, out ulong mapped)
    {
        mapped = 0;
        return ErrorCode.InvalidArgument;
    }

    private protected abstract ErrorCode UnmapCore(ulong start, ulong end);

    private protected abstract ErrorCode ProtectCore(ulong start, ulong end, Protection protection);

    private ErrorCode CheckMappedRange(ulong address, ulong length, out ulong end)
    {
        end = 0;
        if (length == 0) return ErrorCode.InvalidArgument;
        if ((address & (PageSize - 1)) != 0) return ErrorCode.Misaligned;
        if (length > UserHigh) return ErrorCode.BadAddress;
        ulong size = RoundUp(length);
        if (!InUserRange(address, size)) return ErrorCode.BadAddress;
        end = address + size;
        return Vmas.Covers(address, end) ? ErrorCode.Ok : ErrorCode.NotMapped;
    }
}
