using BenchmarkDotNet.Attributes;
using MicroKernel.Ipc.PageSend;

namespace MicroKernel.Benchmarks;

/// <summary>
/// Moving N pages with send() (detach N PTEs, attach N PTEs at a kernel-chosen address, run the receiver's
/// handler) against copying the same bytes with Buffer.MemoryCopy. A move touches page-table entries only, so it
/// must cost O(pages), not O(bytes). The moves go to the sender's own process, so one thread makes the whole trip;
/// the kernel stays up across invocations so that boot and the initial map are not measured.
/// </summary>
[BenchmarkCategory("page-send")]
public class PageSendBenchmarks
{
    private const int Rounds = 16;
    private byte[] _from = [];
    private byte[] _to = [];
    private ResidentProgram? _resident;

    [Params(1, 16, 256, 4096)]
    public int Pages { get; set; }

    /// <summary>User accesses per scheduling point: the default (64) and batched (2^20), side by side (<see cref="BenchKernels"/>).</summary>
    [Params(BenchKernels.DefaultAccessesPerTick, BenchKernels.BatchedAccessesPerTick)]
    public int AccessesPerTick { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _from = new byte[Pages * 4096];
        _to = new byte[Pages * 4096];
        var bits = new MicroKernel.Scheduling.SplitMix64(1);
        for (int i = 0; i < _from.Length; i++) _from[i] = (byte)bits.Next();
        _resident = new ResidentProgram(sys =>
        {
            ulong at = sys.Map((ulong)Pages * 4096);
            sys.RegisterHandler(1, (s, m) => { at = m.Address; return true; });
            return () =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    sys.Send(0, 1, at, (ulong)Pages, SendFlags.ToSelf | SendFlags.ReceiverWrite);
                    sys.Yield(); // the handler runs here
                }
            };
        }, frames: Pages + 64, AccessesPerTick);
    }

    [GlobalCleanup]
    public void Cleanup() => _resident?.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Rounds)]
    public unsafe void MemoryCopy()
    {
        fixed (byte* from = _from, to = _to)
            for (int i = 0; i < Rounds; i++) Buffer.MemoryCopy(from, to, _to.Length, _from.Length);
    }

    [Benchmark(OperationsPerInvoke = Rounds)]
    public void MovePages() => _resident!.RunBatch();
}
