using System.Runtime.CompilerServices;
using MicroKernel.Hardware;

namespace MicroKernel.Memory;

/// <summary>
/// What a thread's loads and stores go through (<c>SimThread.Space</c>): translate and check one access, copy bytes
/// in and out of user memory, and load itself into the protection hardware on a context switch. Two kinds of view
/// exist: a process's <see cref="AddressSpace"/>, which also owns mappings (map, unmap, protect, page transfer), and
/// an RPC <see cref="GrantSpace"/>, which shows other spaces' memory for one call and owns no mappings, so it has no
/// map operations to refuse.
/// </summary>
public abstract class MemoryView
{
    /// <summary>Bytes per page.</summary>
    public const ulong PageSize = PhysicalMemory.FrameSize;

    private readonly PhysicalMemory _memory;

    /// <summary>Creates a view of <paramref name="machine"/>'s memory.</summary>
    private protected MemoryView(Machine machine)
    {
        Machine = machine;
        _memory = machine.Memory;
    }

    /// <summary>The machine whose memory backs this view.</summary>
    public Machine Machine { get; }

    /// <summary>Lowest user address the kernel hands out (pages below stay unmapped: null-pointer guard).</summary>
    public abstract ulong UserLow { get; }

    /// <summary>One past the highest user address.</summary>
    public abstract ulong UserHigh { get; }

    /// <summary>
    /// Checks and translates a user access of <paramref name="length"/> bytes (1..4096, not crossing a page) at
    /// <paramref name="virtualAddress"/>. On success returns the physical address.
    /// </summary>
    public abstract bool TryTranslate(ulong virtualAddress, int length, AccessKind access, out ulong physicalAddress, out MemoryFault fault);

    /// <summary>Makes this the view the protection hardware enforces (on a context switch, or entering an RPC call).</summary>
    public abstract void Activate();

    /// <summary>The hardware view: the page-table tree, or the MPU region table.</summary>
    public abstract string DumpHardware();

    /// <summary>
    /// A write was refused: if the page is copy-on-write and the area is writable, give the owning space its own
    /// frame (or just write access when it is the last holder) and return true so the access is retried.
    /// </summary>
    internal virtual bool TryResolveWriteFault(ulong virtualAddress) => false;

    /// <summary>True when [address, address + size) lies in the user range without wrapping.</summary>
    public bool InUserRange(ulong address, ulong size) =>
        address >= UserLow && address + size > address && address + size <= UserHigh;

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
            source[..chunk].CopyTo(_memory.Slice(pa, chunk, forWrite: true));
            source = source[chunk..];
            va += (ulong)chunk;
        }
        return true;
    }

    /// <summary>Reads a 64-bit little-endian value; the fast path a TLB hit takes (one virtual call: the translation).</summary>
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

    /// <summary>
    /// Checks one page for <paramref name="access"/> as <see cref="TryTranslate"/> would, but changing nothing (under
    /// paging: no A/D bit, no TLB fill). The MPU has no such bits, so by default this is the translation itself.
    /// </summary>
    private protected virtual bool CheckPage(ulong virtualAddress, AccessKind access, out MemoryFault fault) =>
        TryTranslate(virtualAddress, 1, access, out _, out fault);

    /// <summary>
    /// Checks that every byte of the range allows <paramref name="access"/>, touching nothing: no byte, and no
    /// Accessed or Dirty bit (a write refused on its second page leaves the first page clean). A copy-on-write page
    /// in a writable area is copied here, since the write that follows needs its own frame.
    /// </summary>
    public bool CheckRange(ulong virtualAddress, ulong length, AccessKind access, out MemoryFault fault)
    {
        fault = default;
        if (length == 0) return true;
        if (virtualAddress + length < virtualAddress) { fault = new(virtualAddress, access, FaultReason.NonCanonical); return false; }
        ulong va = virtualAddress, end = virtualAddress + length;
        while (va < end)
        {
            int chunk = ChunkLength(va, (int)Math.Min(end - va, PageSize));
            if (!CheckPage(va, access, out fault))
            {
                // Copy-on-write: the refused write is the kernel's cue to copy the page, then retry.
                if (fault.Reason != FaultReason.ReadOnly || access != AccessKind.Write || !TryResolveWriteFault(va)) return false;
                continue;
            }
            va += (ulong)chunk;
        }
        return true;
    }

    private bool TryCopy(ulong virtualAddress, Span<byte> destination, AccessKind access, out MemoryFault fault)
    {
        if (!CheckRange(virtualAddress, (ulong)destination.Length, access, out fault)) return false;
        ulong va = virtualAddress;
        while (!destination.IsEmpty)
        {
            int chunk = ChunkLength(va, destination.Length);
            TryTranslate(va, chunk, access, out ulong pa, out fault);
            _memory.Slice(pa, chunk, forWrite: false).CopyTo(destination);
            destination = destination[chunk..];
            va += (ulong)chunk;
        }
        return true;
    }

    private static int ChunkLength(ulong va, int remaining) => (int)Math.Min((ulong)remaining, PageSize - (va & (PageSize - 1)));
}
