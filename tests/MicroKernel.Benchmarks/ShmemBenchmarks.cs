using BenchmarkDotNet.Attributes;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Benchmarks;

/// <summary>
/// Passing a 16 MiB owned shared-memory segment (docs/shmem.md) against copying 16 MiB: on the host with
/// Buffer.MemoryCopy (the baseline: the cheapest copy there is), and inside the simulated machine through the
/// program's memory (what a boundary pays per byte: 64 KiB loads and stores through the MMU or MPU). One
/// operation is a GiveAndGetBack round trip, shm_call: the segment moves to the peer (the caller's 4096 PTEs lose
/// access and leave the TLB, the peer's gain it), the peer's handler runs on its own thread, and the segment moves
/// back, so two moves and two context switches. Ownership flips page-table entries and never touches the bytes, so
/// it must cost O(pages) and far less than a copy. The kernel stays up across invocations (boot, the peer's start
/// and the segment's creation are not measured).
/// </summary>
[BenchmarkCategory("shmem")]
public class ShmemBenchmarks
{
    private const int Rounds = 8;
    private const ulong SegmentBytes = 16UL << 20;
    private byte[] _from = [];
    private byte[] _to = [];
    private ResidentProgram? _resident, _copier;

    /// <summary>User accesses per scheduling point: the default (64) and batched (2^20), side by side (<see cref="BenchKernels"/>).</summary>
    [Params(BenchKernels.DefaultAccessesPerTick, BenchKernels.BatchedAccessesPerTick)]
    public int AccessesPerTick { get; set; }

    [GlobalSetup(Target = nameof(MemoryCopy))]
    public void SetupHostCopy()
    {
        _from = new byte[SegmentBytes];
        _to = new byte[SegmentBytes];
        for (int i = 0; i < _from.Length; i++) _from[i] = (byte)(i * 31 + 7); // any bytes: a copy does not look at them
    }

    [GlobalSetup(Target = nameof(CopyInUserMemory))]
    public void SetupUserCopy() =>
        _copier = new ResidentProgram(sys =>
        {
            ulong from = sys.Map(SegmentBytes), to = sys.Map(SegmentBytes);
            byte[] chunk = new byte[64 << 10];
            return () =>
            {
                for (ulong at = 0; at < SegmentBytes; at += (ulong)chunk.Length)
                {
                    sys.Memory.Read(from + at, chunk);
                    sys.Memory.Write(to + at, chunk);
                }
            };
        }, frames: (int)(2 * SegmentBytes / 4096) + 256, AccessesPerTick);

    [GlobalSetup(Target = nameof(GiveAndGetBack))]
    public void SetupMove() =>
        _resident = new ResidentProgram(sys =>
        {
            Notification.OpenWhenCreated(sys, "peer-ready").Wait();
            var segment = Shmem.Create(sys, sys.ShmConnect(2), SegmentBytes);
            segment.WriteUInt64(0, 1);
            return () =>
            {
                for (int i = 0; i < Rounds; i++) segment.Call(1);
            };
        }, frames: (int)(SegmentBytes / 4096) + 256, AccessesPerTick, peer: sys =>
        {
            sys.RegisterSegmentHandler((s, m) => (long)s.Memory.ReadUInt64(m.Address));
            Notification.Create(sys, "peer-ready").Notify();
            while (true) sys.Pause();
        });

    [GlobalCleanup]
    public void Cleanup()
    {
        _resident?.Dispose();
        _copier?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rounds)]
    public unsafe void MemoryCopy()
    {
        fixed (byte* from = _from, to = _to)
            for (int i = 0; i < Rounds; i++) Buffer.MemoryCopy(from, to, _to.Length, _from.Length);
    }

    [Benchmark(OperationsPerInvoke = Rounds)]
    public void GiveAndGetBack() => _resident!.RunBatch();

    /// <summary>One 16 MiB copy inside the simulated machine, from one mapped region of the program to another.</summary>
    [Benchmark]
    public void CopyInUserMemory() => _copier!.RunBatch();
}
