using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;

namespace MicroKernel.X86;

/// <summary>
/// What translated code needs to take a TLB hit itself, without calling through <see cref="IX86Memory"/>: the MMU and
/// the root the thread's paged address space expects loaded, the 4 KiB TLB entries, and RAM with its write generations.
/// <see cref="KernelX86Memory"/> hands one out per <see cref="X86Cpu.Run"/> when the thread runs in a
/// <see cref="Memory.PagedAddressSpace"/> (an MPU space or an RPC grant keeps the call-out). The hit path
/// (X86Cpu.DirectMemory.cs) does exactly what <see cref="Mmu.Translate"/>'s hit and <see cref="PhysicalMemory.Slice"/>
/// do: count the TLB hit, and on a store bump the frame's write generation. A TLB entry allows a write only once the
/// page's Dirty bit is set, so the first store to a clean page misses and the call-out's walk sets D, as before.
/// </summary>
internal sealed class X86DirectPaging
{
    /// <summary>The MMU whose TLB is used; a hit also needs <see cref="Mmu.Root"/> to be <see cref="Root"/>.</summary>
    public readonly Mmu Mmu;

    /// <summary>The TLB, for its hit counter.</summary>
    public readonly Tlb Tlb;

    /// <summary>The 4 KiB entries (direct-mapped by virtual page number and <see cref="Mask"/>).</summary>
    public readonly TlbEntry[] Entries;

    /// <summary>The index mask of <see cref="Entries"/>.</summary>
    public readonly ulong Mask;

    /// <summary>The root the address space translates with (it never matches once the space is destroyed).</summary>
    public readonly ulong Root;

    /// <summary>Physical memory, indexed by physical address.</summary>
    public readonly byte[] Ram;

    /// <summary>Per frame: how many times it was written (code pages are validated against it).</summary>
    public readonly uint[] Generations;

    /// <summary>The hit path for the space whose root is <paramref name="root"/>, on this machine.</summary>
    public X86DirectPaging(Mmu mmu, ulong root, PhysicalMemory ram)
    {
        Mmu = mmu;
        Tlb = mmu.Tlb;
        Entries = mmu.Tlb.SmallEntries;
        Mask = mmu.Tlb.SmallMask;
        Root = root;
        Ram = ram.Bytes;
        Generations = ram.WriteGenerations;
    }
}
