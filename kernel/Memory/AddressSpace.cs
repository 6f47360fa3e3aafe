using System.Runtime.CompilerServices;
using System.Text;
using MicroKernel.Hardware;
using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

/// <summary>
/// The memory of one process: its VMAs and the hardware structure that enforces them (page tables under
/// paging, a region set under an MPU). Every user load and store goes through <see cref="TryTranslate"/>; the
/// kernel's map/unmap/protect go through the methods here, which validate first and change nothing on error.
/// </summary>
public abstract class AddressSpace
{
    /// <summary>Bytes per page.</summary>
    public const ulong PageSize = PhysicalMemory.FrameSize;

    private protected readonly VmaList Vmas = new();

    /// <summary>Creates the address space on <paramref name="machine"/>, taking frames from <paramref name="frames"/>.</summary>
    protected AddressSpace(Machine machine, FrameAllocator frames)
    {
        Machine = machine;
        Frames = frames;
        _memory = machine.Memory;
    }

    private readonly PhysicalMemory _memory;

    /// <summary>The machine whose memory backs this space.</summary>
    public Machine Machine { get; }

    /// <summary>The kernel's frame allocator.</summary>
    public FrameAllocator Frames { get; }

    /// <summary>The areas, sorted by address.</summary>
    public IReadOnlyList<Vma> Areas => Vmas.Areas;

    /// <summary>Lowest user address the kernel hands out (pages below stay unmapped: null-pointer guard).</summary>
    public abstract ulong UserLow { get; }

    /// <summary>One past the highest user address.</summary>
    public abstract ulong UserHigh { get; }

    /// <summary>
    /// Counts changes to the mappings (map, unmap, protect, pages sent or received, copy-on-write breaks): an RPC
    /// grant built over this space stays reusable only while the count it saw is unchanged.
    /// </summary>
    public long Generation { get; private set; }

    /// <summary>The mappings changed: cached RPC grants over this space must be rebuilt.</summary>
    private protected void Changed() => Generation++;

    /// <summary>Set once <see cref="Destroy"/> ran; every access then faults.</summary>
    public bool IsDestroyed { get; private protected set; }

    /// <summary>
    /// Checks and translates a user access of <paramref name="length"/> bytes (1..4096, not crossing a page) at
    /// <paramref name="virtualAddress"/>. On success returns the physical address.
    /// </summary>
    public abstract bool TryTranslate(ulong virtualAddress, int length, AccessKind access, out ulong physicalAddress, out MemoryFault fault);

    /// <summary>Makes this the space the protection hardware enforces (on a context switch).</summary>
    public abstract void Activate();

    /// <summary>Frees every frame and table; the space cannot be used afterwards.</summary>
    public abstract void Destroy();

    /// <summary>Every (virtual page, frame) of user memory this space maps, for frame-accounting checks.</summary>
    public abstract IEnumerable<(ulong VirtualAddress, ulong Frame)> UserFrames();

    /// <summary>The hardware view: the page-table tree, or the MPU region table.</summary>
    public abstract string DumpHardware();

    /// <summary>
    /// Maps <paramref name="length"/> bytes (rounded up to pages) of zeroed memory. <paramref name="address"/> 0
    /// lets the kernel choose; otherwise it must be page-aligned and the range free.
    /// </summary>
    public ErrorCode Map(ulong address, ulong length, Protection protection, string name, out ulong mapped)
    {
        mapped = 0;
        if ((protection & ~ProtectionExtensions.All) != 0 || length == 0) return ErrorCode.InvalidArgument;
        if (IsDestroyed) return ErrorCode.BadAddress;
        if ((address & (PageSize - 1)) != 0) return ErrorCode.Misaligned;
        if (length > UserHigh) return ErrorCode.OutOfMemory;
        ulong size = RoundUp(length);
        if (address != 0)
        {
            if (!InUserRange(address, size) || IsReserved(address, address + size)) return ErrorCode.BadAddress;
            if (Vmas.Overlaps(address, address + size)) return ErrorCode.AlreadyMapped;
        }
        ErrorCode e = MapCore(address, size, protection, name, out mapped);
        if (e == ErrorCode.Ok) Changed();
        return e;
    }

    /// <summary>
    /// rpc_shared: maps <paramref name="length"/> bytes (rounded up to pages) of zeroed read/write memory as an RPC SHARED
    /// buffer at <paramref name="address"/> (paging: a free spot of the RPC window the kernel picked) or where the
    /// space chooses (0, MPU). Callees of this process's rpc_calls get access to it for the duration of a call.
    /// </summary>
    internal ErrorCode MapShared(ulong address, ulong length, out ulong mapped)
    {
        mapped = 0;
        if (length == 0) return ErrorCode.InvalidArgument;
        if (IsDestroyed) return ErrorCode.BadAddress;
        if (length > UserHigh) return ErrorCode.OutOfMemory;
        ErrorCode e = MapCore(address, RoundUp(length), Protection.ReadWrite, "rpc shared", out mapped);
        if (e != ErrorCode.Ok) return e;
        Vmas.Find(mapped)!.Shared = true;
        Changed();
        return e;
    }

    /// <summary>The RPC SHARED buffers of this space, by address.</summary>
    public IEnumerable<Vma> SharedAreas => Vmas.Areas.Where(v => v.Shared);

    /// <summary>True when [start, end) touches addresses ordinary maps may not use (the paging RPC window).</summary>
    private protected virtual bool IsReserved(ulong start, ulong end) => false;

    /// <summary>Unmaps whole pages of [address, address + length) and frees their frames; the range must be mapped.</summary>
    public ErrorCode Unmap(ulong address, ulong length)
    {
        ErrorCode check = CheckMappedRange(address, length, out ulong end);
        if (check != ErrorCode.Ok) return check;
        Changed();
        return UnmapCore(address, end);
    }

    /// <summary>Changes the protection of every page of [address, address + length); the range must be mapped.</summary>
    public ErrorCode Protect(ulong address, ulong length, Protection protection)
    {
        if ((protection & ~ProtectionExtensions.All) != 0) return ErrorCode.InvalidArgument;
        ErrorCode check = CheckMappedRange(address, length, out ulong end);
        if (check != ErrorCode.Ok) return check;
        Changed();
        return ProtectCore(address, end, protection);
    }

    /// <summary>Reads user memory as the process would (faults on the first refused byte).</summary>
    public bool TryRead(ulong virtualAddress, Span<byte> destination, out MemoryFault fault) =>
        TryCopy(virtualAddress, destination, AccessKind.Read, out fault);

    /// <summary>Reads code bytes (an instruction fetch, checked for execute permission).</summary>
    public bool TryFetch(ulong virtualAddress, Span<byte> destination, out MemoryFault fault) =>
        TryCopy(virtualAddress, destination, AccessKind.Execute, out fault);

    /// <summary>
    /// Writes user memory as the process would. Every page is checked before any byte is written, so a faulting
    /// write changes nothing.
    /// </summary>
    public bool TryWrite(ulong virtualAddress, ReadOnlySpan<byte> source, out MemoryFault fault)
    {
        if (!CheckRange(virtualAddress, (ulong)source.Length, AccessKind.Write, out fault)) return false;
        ulong va = virtualAddress;
        while (!source.IsEmpty)
        {
            int chunk = ChunkLength(va, source.Length);
            TryTranslate(va, chunk, AccessKind.Write, out ulong pa, out fault);
            source[..chunk].CopyTo(Machine.Memory.Slice(pa, chunk, forWrite: true));
            source = source[chunk..];
            va += (ulong)chunk;
        }
        return true;
    }

    /// <summary>Reads a 64-bit little-endian value; the fast path a TLB hit takes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadUInt64(ulong virtualAddress, out ulong value, out MemoryFault fault)
    {
        if ((virtualAddress & 0xFFF) <= 0xFF8)
        {
            if (TryTranslate(virtualAddress, 8, AccessKind.Read, out ulong pa, out fault)) { value = _memory.ReadUInt64(pa); return true; }
            value = 0;
            return false;
        }
        return TryReadUInt64Straddling(virtualAddress, out value, out fault);
    }

    // Kept out of line: a stackalloc would stop the fast path above from being inlined.
    private bool TryReadUInt64Straddling(ulong virtualAddress, out ulong value, out MemoryFault fault)
    {
        Span<byte> bytes = stackalloc byte[8];
        bool ok = TryRead(virtualAddress, bytes, out fault);
        value = ok ? BitConverter.ToUInt64(bytes) : 0;
        return ok;
    }

    /// <summary>Writes a 64-bit little-endian value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWriteUInt64(ulong virtualAddress, ulong value, out MemoryFault fault)
    {
        if ((virtualAddress & 0xFFF) <= 0xFF8)
        {
            if (TryTranslate(virtualAddress, 8, AccessKind.Write, out ulong pa, out fault))
            {
                _memory.WriteUInt64(pa, value);
                return true;
            }
            // Refused: the slow path resolves a copy-on-write page, or reports the fault.
        }
        return TryWriteUInt64Straddling(virtualAddress, value, out fault);
    }

    private bool TryWriteUInt64Straddling(ulong virtualAddress, ulong value, out MemoryFault fault)
    {
        Span<byte> bytes = stackalloc byte[8];
        BitConverter.TryWriteBytes(bytes, value);
        return TryWrite(virtualAddress, bytes, out fault);
    }

    /// <summary>Checks that every byte of the range allows <paramref name="access"/>, touching nothing.</summary>
    public bool CheckRange(ulong virtualAddress, ulong length, AccessKind access, out MemoryFault fault)
    {
        fault = default;
        if (length == 0) return true;
        if (virtualAddress + length < virtualAddress) { fault = new(virtualAddress, access, FaultReason.NonCanonical); return false; }
        ulong va = virtualAddress, end = virtualAddress + length;
        while (va < end)
        {
            int chunk = ChunkLength(va, (int)Math.Min(end - va, PageSize));
            if (!TryTranslate(va, chunk, access, out _, out fault))
            {
                // Copy-on-write: the refused write is the kernel's cue to copy the page, then retry.
                if (fault.Reason != FaultReason.ReadOnly || access != AccessKind.Write || !TryResolveWriteFault(va)) return false;
                continue;
            }
            va += (ulong)chunk;
        }
        return true;
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

    /// <summary>True when [address, address + size) lies in the user range without wrapping.</summary>
    public bool InUserRange(ulong address, ulong size) =>
        address >= UserLow && address + size > address && address + size <= UserHigh;

    /// <summary>
    /// Can [address, address + pages) be sent? Ok, or NotMapped (a page is missing), NotPermitted (a page may not be
    /// read, or written when <paramref name="needWrite"/>), InvalidArgument (MPU: not exactly one whole VMA).
    /// </summary>
    internal abstract ErrorCode CheckSendRange(ulong address, ulong pages, bool needWrite);

    /// <summary>Move: unmaps the pages without freeing them; their references go to the returned run.</summary>
    internal abstract PageRun DetachPages(ulong address, ulong pages);

    /// <summary>
    /// Share: one more reference to each frame, for a receiver that will map the same frames. Fails (OutOfMemory)
    /// only when a copy-on-write page had to be made private first.
    /// </summary>
    internal abstract ErrorCode ReferencePages(ulong address, ulong pages, out PageRun run);

    /// <summary>
    /// Duplicate: <paramref name="copies"/> runs that each receiver maps as its own copy (copy-on-write under paging,
    /// eager copies under an MPU). Without <paramref name="senderKeepsWrite"/> the sender's pages become read-only.
    /// Changes nothing and returns OutOfMemory when frames run out.
    /// </summary>
    internal abstract ErrorCode DuplicatePages(ulong address, ulong pages, bool senderKeepsWrite, int copies, out PageRun[] runs);

    /// <summary>Maps a run at an address the kernel picks; on error maps nothing (the run is still the caller's).</summary>
    internal abstract ErrorCode AttachPages(PageRun run, Protection protection, string name, out ulong address);

    /// <summary>Drops the references a run holds (an abandoned or undeliverable message).</summary>
    internal void ReleaseRun(PageRun run)
    {
        foreach (ulong frame in run.Frames) Frames.Release(frame);
    }

    /// <summary>
    /// A write was refused: if the page is copy-on-write and the area is writable, give this space its own frame
    /// (or just write access when it is the last holder) and return true so the access is retried.
    /// </summary>
    internal virtual bool TryResolveWriteFault(ulong virtualAddress) => false;

    private protected abstract ErrorCode MapCore(ulong address, ulong size, Protection protection, string name, out ulong mapped);

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

    private bool TryCopy(ulong virtualAddress, Span<byte> destination, AccessKind access, out MemoryFault fault)
    {
        if (!CheckRange(virtualAddress, (ulong)destination.Length, access, out fault)) return false;
        ulong va = virtualAddress;
        while (!destination.IsEmpty)
        {
            int chunk = ChunkLength(va, destination.Length);
            TryTranslate(va, chunk, access, out ulong pa, out fault);
            Machine.Memory.Slice(pa, chunk, forWrite: false).CopyTo(destination);
            destination = destination[chunk..];
            va += (ulong)chunk;
        }
        return true;
    }

    private static int ChunkLength(ulong va, int remaining) => (int)Math.Min((ulong)remaining, PageSize - (va & (PageSize - 1)));
}
