using System.Runtime.CompilerServices;
using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;

namespace MicroKernel.X86;

// The TLB-hit path of translated code: a load or store whose page's translation is in the MMU's TLB is done right here,
// in one direct call from the block, instead of the interpreter's chain IX86Memory -> KernelX86Memory (CPU holder
// check) -> MemoryView -> Mmu -> PhysicalMemory; everything else calls ReadMem/WriteMem, that chain: a miss, a fault,
// a write to a page not yet Dirty, a page crossing, an MPU space. Not inlined into the block: measured, inlining
// them doubled the time to compile a block (1.4 -> 2.7 ms for 31 instructions with 10 memory accesses), which cost
// more than the call saved on every program measured (docs/benchmarks.md). Compiled optimized at once: only compiled
// code calls them, and with tiering its first thousands of calls ran unoptimized code (seen in a perf profile).
public sealed partial class X86Cpu
{
    private X86DirectPaging? _direct; // set for each translated Run (null: every access calls out)

    private const int ReadBit = 1 << (int)AccessKind.Read;
    private const int WriteBit = 1 << (int)AccessKind.Write;

    /// <summary>
    /// A load of size bytes that hits the TLB, as <see cref="Mmu.Translate"/> would serve it (the hit counted); false
    /// (nothing done) when the access must take the call-out.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal bool TryLoadDirect(ulong address, int size, out ulong value)
    {
        X86DirectPaging? d = _direct;
        ulong offset = address & (PageSize - 1);
        if (d is not null && offset + (ulong)size <= PageSize)
        {
            ulong vpn = address >> 12;
            ref TlbEntry e = ref d.Entries[vpn & d.Mask];
            if (e.Tag == vpn + 1 && (e.Allowed & ReadBit) != 0 && d.Mmu.Root == d.Root)
            {
                d.Tlb.Hits++;
                ref byte b = ref d.Ram[(nint)(e.FrameBase | offset)];
                value = size switch
                {
                    1 => b,
                    2 => Unsafe.ReadUnaligned<ushort>(ref b),
                    4 => Unsafe.ReadUnaligned<uint>(ref b),
                    _ => Unsafe.ReadUnaligned<ulong>(ref b),
                };
                return true;
            }
        }
        value = 0;
        return false;
    }

    /// <summary>
    /// A store of size bytes that hits the TLB with write permission (so the page is already Dirty): stores, bumps
    /// the frame's write generation as <see cref="PhysicalMemory.Slice"/> does, and notes the store for the decode
    /// cache. False (nothing done) when the access must take the call-out.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal bool TryStoreDirect(ulong address, ulong value, int size)
    {
        X86DirectPaging? d = _direct;
        ulong offset = address & (PageSize - 1);
        if (d is not null && offset + (ulong)size <= PageSize)
        {
            ulong vpn = address >> 12;
            ref TlbEntry e = ref d.Entries[vpn & d.Mask];
            if (e.Tag == vpn + 1 && (e.Allowed & WriteBit) != 0 && d.Mmu.Root == d.Root)
            {
                d.Tlb.Hits++;
                ulong pa = e.FrameBase | offset;
                d.Generations[pa >> PhysicalMemory.FrameShift]++;
                ref byte b = ref d.Ram[(nint)pa];
                switch (size)
                {
                    case 1: b = (byte)value; break;
                    case 2: Unsafe.WriteUnaligned(ref b, (ushort)value); break;
                    case 4: Unsafe.WriteUnaligned(ref b, (uint)value); break;
                    default: Unsafe.WriteUnaligned(ref b, value); break;
                }
                NoteStore(address, size);
                return true;
            }
        }
        return false;
    }
}
