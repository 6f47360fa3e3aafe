using System.Runtime.CompilerServices;
using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;

namespace MicroKernel.X86;

// The TLB-hit path of translated code. A load or store whose page's translation is in the MMU's 4 KiB TLB is done by
// the compiled block itself (X86Emitter.Memory.cs emits it inline: one tag compare, one permission test, one indexed
// load or store), instead of the interpreter's chain IX86Memory -> KernelX86Memory (CPU holder check) -> MemoryView ->
// Mmu -> PhysicalMemory. Everything else is a call-out to ReadMem/WriteMem through LoadCallOut/StoreCallOut: a miss,
// a fault, a write to a page not yet Dirty, a page crossing, an MPU space. The fields below are what the inlined hit
// reads, set at the start of each translated Run.
public sealed partial class X86Cpu
{
    private X86DirectPaging? _direct; // set for each translated Run (null: every access calls out)

    // The MMU's 4 KiB TLB entries, their index mask, RAM and the frames' write generations, for the inlined hit; an
    // entry array that never hits when no hit may be taken (flat memory, an MPU space, a space whose root is not the
    // MMU's, a TLB of one entry, where a page-crossing access could match the next page's entry in the same slot).
    private TlbEntry[] _tlbEntries = NoEntries;
    private ulong _tlbMask;
    private byte[] _ram = [];
    private uint[] _generations = NoGenerations;
    private static readonly TlbEntry[] NoEntries = new TlbEntry[1];
    private static readonly uint[] NoGenerations = new uint[1]; // never indexed: NoEntries never hits

    // TLB hits the compiled code took and has not yet added to Tlb.Hits: it counts them in a local and writes the
    // count here before each call-out (which may fault) and at its exits; the run loop adds it to the TLB's counter.
    private long _directHits;

    private const int ReadBit = 1 << (int)AccessKind.Read;
    private const int WriteBit = 1 << (int)AccessKind.Write;

    /// <summary>
    /// Whether this CPU's compiled blocks take a TLB hit inline (the default) or through one call to a hit helper per
    /// access (how the translator did it before; kept so that X86TranslationCostBenchmarks compares both in one run).
    /// Read when a block is compiled.
    /// </summary>
    internal bool InlineTlbHits { get; set; } = true;

    /// <summary>
    /// How many memory accesses of compiled blocks took the call-out to the MMU/MPU path instead of the inlined TLB hit:
    /// a TLB miss, a fault, the first store to a clean page, a page crossing, an MPU space, flat memory. A loop that
    /// stays on pages whose translations are cached makes none (translation statistics for tests and benchmarks).
    /// </summary>
    public long MemoryCallOuts { get; private set; }

    /// <summary>At the start of a translated Run: what the inlined hit may use during it.</summary>
    private void EnterDirectPaging()
    {
        X86DirectPaging? d = _direct = (_memory as KernelX86Memory)?.DirectPaging();
        // The root cannot change within a Run (only a syscall, which ends it, switches address spaces), so a root
        // that is not the MMU's now (an inactive or destroyed space, translated uncached) stays so until the Run ends.
        if (d is not null && d.Mmu.Root == d.Root && d.Mask != 0)
        {
            _tlbEntries = d.Entries;
            _tlbMask = d.Mask;
            _ram = d.Ram;
            _generations = d.Generations;
        }
        else
        {
            _tlbEntries = NoEntries;
            _tlbMask = 0;
            _ram = [];
            _generations = NoGenerations;
        }
    }

    /// <summary>Adds the hits compiled code took to the TLB's counter (after a block returns or faults).</summary>
    private void FlushDirectHits()
    {
        if (_directHits == 0) return;
        _direct!.Tlb.Hits += _directHits;
        _directHits = 0;
    }

    /// <summary>A compiled block's load that missed the inlined TLB hit: the interpreter's ReadMem (may fault).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // the cold path: inlined into every access it would only cost JIT time
    internal ulong LoadCallOut(ulong address, int size)
    {
        MemoryCallOuts++;
        return ReadMem(address, size);
    }

    /// <summary>A compiled block's store that missed the inlined TLB hit: the interpreter's WriteMem (may fault).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // the cold path: inlined into every access it would only cost JIT time
    internal void StoreCallOut(ulong address, ulong value, int size)
    {
        MemoryCallOuts++;
        WriteMem(address, value, size);
    }

    /// <summary>
    /// The hit helper of <see cref="InlineTlbHits"/> = false: a load of size bytes that hits the TLB, as
    /// <see cref="Mmu.Translate"/> would serve it (the hit counted); false (nothing done) when the access must take the
    /// call-out. Compiled optimized at once: only compiled code calls it.
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
    /// The hit helper of <see cref="InlineTlbHits"/> = false: a store of size bytes that hits the TLB with write
    /// permission (so the page is already Dirty): stores, bumps the frame's write generation as
    /// <see cref="PhysicalMemory.Slice"/> does, and notes the store for the decode cache. False (nothing done) when the
    /// access must take the call-out.
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
