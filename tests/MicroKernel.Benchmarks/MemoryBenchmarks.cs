using BenchmarkDotNet.Attributes;

namespace MicroKernel.Benchmarks;

/// <summary>
/// An 8-byte user load through the MMU: a TLB hit (the same page again and again) and a TLB miss (256 pages that
/// all collide in a 64-entry direct-mapped TLB, so every load walks the four-level table), against a plain array read.
/// At the default AccessesPerTick (64) every 64th load is also a scheduling point (one thread: no switch, no flush).
/// Since issue 19: the same hit loop while a 2 MiB page is mapped and cached (large pages must cost the 4 KiB hit
/// path nothing), and loads that hit a 2 MiB page's own TLB entry (the 4 KiB slot misses first, out of line).
/// </summary>
[BenchmarkCategory("memory")]
public class MemoryBenchmarks
{
    private const int Loads = 1_000_000;
    private readonly ulong[] _array = new ulong[512];

    /// <summary>User accesses per scheduling point: the default (64) and batched (2^20), side by side (<see cref="BenchKernels"/>).</summary>
    [Params(BenchKernels.DefaultAccessesPerTick, BenchKernels.BatchedAccessesPerTick)]
    public int AccessesPerTick { get; set; }

    [Benchmark(Baseline = true, OperationsPerInvoke = Loads)]
    public ulong PlainArrayRead()
    {
        ulong sum = 0;
        ulong[] a = _array;
        for (int i = 0; i < Loads; i++) sum += a[i & 511];
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Loads)]
    public long MmuReadTlbHit() => BenchKernels.RunProgram(AccessesPerTick, sys =>
    {
        ulong buffer = sys.Map(4096);
        ulong sum = 0;
        for (int i = 0; i < Loads; i++) sum += sys.Memory.ReadUInt64(buffer + (ulong)(i & 511) * 8);
        return (long)(sum & 1);
    });

    [Benchmark(OperationsPerInvoke = Loads)]
    public long MmuReadTlbMiss() => BenchKernels.RunProgram(AccessesPerTick, sys =>
    {
        const int pages = 256;
        ulong buffer = sys.Map(pages * 4096);
        ulong sum = 0;
        // Pages p, p+64, p+128, p+192 share one TLB slot: visiting them in turn misses every time.
        for (int i = 0; i < Loads; i++) sum += sys.Memory.ReadUInt64(buffer + (ulong)((i % 4) * 64 + (i / 4) % 64) * 4096);
        return (long)(sum & 1);
    }, frames: 512);

    /// <summary>
    /// The baseline for <see cref="MmuReadTlbHitWithLargePageCached"/>: the same setup (a 2 MiB kernel, 2 MiB mapped and
    /// touched once) with 4 KiB pages, so the two differ only in whether a 2 MiB TLB entry is cached beside the hit loop.
    /// Comparing with <see cref="MmuReadTlbHit"/> instead would charge the larger kernel's setup to large pages.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Loads)]
    public long MmuReadTlbHitWith4KiBPagesCached() => BenchKernels.RunProgram(AccessesPerTick, sys =>
    {
        ulong small = sys.Map(2UL << 20, Memory.Protection.ReadWrite);
        ulong buffer = sys.Map(4096);
        ulong sum = sys.Memory.ReadUInt64(small);
        for (int i = 0; i < Loads; i++) sum += sys.Memory.ReadUInt64(buffer + (ulong)(i & 511) * 8);
        return (long)(sum & 1);
    }, frames: 2048);

    [Benchmark(OperationsPerInvoke = Loads)]
    public long MmuReadTlbHitWithLargePageCached() => BenchKernels.RunProgram(AccessesPerTick, sys =>
    {
        ulong large = sys.Map(2UL << 20, Memory.Protection.ReadWrite, Memory.MapFlags.LargePages);
        ulong buffer = sys.Map(4096);
        ulong sum = sys.Memory.ReadUInt64(large);
        for (int i = 0; i < Loads; i++) sum += sys.Memory.ReadUInt64(buffer + (ulong)(i & 511) * 8);
        return (long)(sum & 1);
    }, frames: 2048);

    [Benchmark(OperationsPerInvoke = Loads)]
    public long MmuReadLargePageHit() => BenchKernels.RunProgram(AccessesPerTick, sys =>
    {
        ulong large = sys.Map(2UL << 20, Memory.Protection.ReadWrite, Memory.MapFlags.LargePages);
        ulong sum = 0;
        // 512 different 4 KiB pages, one 2 MiB TLB entry: every load misses the 4 KiB array and hits the large one.
        for (int i = 0; i < Loads; i++) sum += sys.Memory.ReadUInt64(large + (ulong)(i & 511) * 4096);
        return (long)(sum & 1);
    }, frames: 2048);
}
