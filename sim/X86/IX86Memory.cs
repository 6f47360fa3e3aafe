using MicroKernel.Hardware;

namespace MicroKernel.X86;

/// <summary>
/// The CPU's only way to touch memory: every instruction fetch and every memory operand goes through it.
/// The kernel implements it with the MMU or the MPU of the running thread; <see cref="FlatX86Memory"/> is a
/// simple implementation for tests and tools.
/// </summary>
public interface IX86Memory
{
    /// <summary>Reads user memory; kind is Read for data, Execute for instruction fetch. Returns null on success, else the fault.</summary>
    /// <param name="address">The virtual address of the first byte.</param>
    /// <param name="destination">Receives the bytes; its length is the access size.</param>
    /// <param name="kind"><see cref="AccessKind.Read"/> for data, <see cref="AccessKind.Execute"/> for instruction fetch.</param>
    MemoryFault? Read(ulong address, Span<byte> destination, AccessKind kind);

    /// <summary>Writes user memory. Returns null on success, else the fault (nothing written on fault for accesses within one page at least).</summary>
    /// <param name="address">The virtual address of the first byte.</param>
    /// <param name="source">The bytes to store; its length is the access size.</param>
    MemoryFault? Write(ulong address, ReadOnlySpan<byte> source);

    /// <summary>
    /// A version stamp of the code page containing address: it changes whenever that page is written (by anyone),
    /// unmapped or remapped. Fails like an Execute read when the page may not be executed.
    /// </summary>
    /// <param name="address">Any address inside the code page.</param>
    /// <param name="version">The page's current version stamp (meaningless when a fault is returned).</param>
    MemoryFault? CodePageVersion(ulong address, out ulong version);
}
