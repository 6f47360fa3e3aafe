using BenchmarkDotNet.Attributes;
using MicroKernel.Ipc.PageSend;

namespace MicroKernel.Benchmarks;

/// <summary>
/// Moving N pages with send() (detach N PTEs, attach N PTEs at the receiver, run its handler) against copying
/// the same bytes with Buffer.MemoryCopy. A move touches page-table entries only, so it must cost O(pages), not
/// O(bytes). Each invocation moves the pages <see cref="Rounds"/> times (to its own process, so one thread does
/// the whole round trip).
/// </summary>
public class PageSendBenchmarks
{
    private const int Rounds = 8;
    private byte[] _from = [];
    private byte[] _to = [];

    [Params(1, 16, 256, 4096)]
    public int Pages { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _from = new byte[Pages * 4096];
        _to = new byte[Pages * 4096];
        Random.Shared.NextBytes(_from);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rounds)]
    public unsafe void MemoryCopy()
    {
        fixed (byte* from = _from, to = _to)
            for (int i = 0; i < Rounds; i++) Buffer.MemoryCopy(from, to, _to.Length, _from.Length);
    }

    [Benchmark(OperationsPerInvoke = Rounds)]
    public long MovePages() => BenchKernels.RunProgram(sys =>
    {
        ulong at = sys.Map((ulong)Pages * 4096);
        sys.RegisterHandler(1, (s, m) => { at = m.Address; return true; });
        for (int i = 0; i < Rounds; i++)
        {
            sys.Send(0, 1, at, (ulong)Pages, SendFlags.ToSelf);
            sys.Yield(); // the handler runs here
        }
        return 0;
    }, frames: Pages + 64);
}
