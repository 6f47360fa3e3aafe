using System.Runtime.CompilerServices;

namespace MicroKernel.Hardware.Paging;

/// <summary>
/// A direct-mapped translation lookaside buffer. It caches user translations of the loaded address space only;
/// the kernel flushes it on every address-space switch and invalidates a page after every unmap or protect,
/// the same shootdown rules a real single-CPU kernel follows.
/// </summary>
public sealed class Tlb
{
    private readonly TlbEntry[] _entries;
    private readonly ulong _mask;

    /// <summary>Creates a TLB of <paramref name="size"/> entries (a power of two).</summary>
    public Tlb(int size = 64)
    {
        if (size <= 0 || (size & (size - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(size), "TLB size must be a power of two");
        _entries = new TlbEntry[size];
        _mask = (ulong)size - 1;
    }

    /// <summary>Number of entries.</summary>
    public int Size => _entries.Length;

    /// <summary>Lookups served from the TLB.</summary>
    public long Hits { get; internal set; }

    /// <summary>Lookups that needed a page walk.</summary>
    public long Misses { get; internal set; }

    /// <summary>Whole flushes (address-space switches).</summary>
    public long Flushes { get; private set; }

    /// <summary>Single-page invalidations (invlpg).</summary>
    public long Invalidations { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref TlbEntry Slot(ulong vpn) => ref _entries[vpn & _mask];

    /// <summary>Drops every cached translation (a CR3 reload).</summary>
    public void Flush()
    {
        Array.Clear(_entries);
        Flushes++;
    }

    /// <summary>
    /// The kernel's fault injector when its plan has a <c>kernel-bug name=skip-tlb-flush</c> rule, else null: it may make
    /// the kernel "forget" one invalidation (the counter still counts it, the entry stays: a stale translation).
    /// </summary>
    internal Faults.FaultInjector? Injector { get; set; }

    /// <summary>Drops the translation of the page holding <paramref name="virtualAddress"/> (invlpg).</summary>
    public void Invalidate(ulong virtualAddress)
    {
        if (Injector is { } f && f.SkipTlbInvalidation(Invalidations + 1, virtualAddress))
        {
            Invalidations++;
            return;
        }
        ulong vpn = virtualAddress >> PhysicalMemory.FrameShift;
        ref TlbEntry e = ref Slot(vpn);
        if (e.Tag == vpn + 1) e = default;
        Invalidations++;
    }

    /// <summary>True when a translation for the page of <paramref name="virtualAddress"/> is cached (for tests).</summary>
    public bool Contains(ulong virtualAddress)
    {
        ulong vpn = virtualAddress >> PhysicalMemory.FrameShift;
        return Slot(vpn).Tag == vpn + 1;
    }
}
