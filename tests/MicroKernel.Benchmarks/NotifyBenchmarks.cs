using BenchmarkDotNet.Attributes;

namespace MicroKernel.Benchmarks;

/// <summary>
/// Notify + wait ping-pong between two simulated threads (each notify wakes the peer, each wait blocks and hands the
/// CPU over) against the bare two-thread SemaphoreSlim ping-pong in the same run. Both are per handoff. The
/// uncontended pair (notify then wait with the count already there, no switch) shows the syscalls' own cost.
/// </summary>
[BenchmarkCategory("notify")]
public class NotifyBenchmarks
{
    private const int Handoffs = 100_000;

    /// <summary>User accesses per scheduling point: the default (64) and batched (2^20), side by side (<see cref="BenchKernels"/>).</summary>
    [Params(BenchKernels.DefaultAccessesPerTick, BenchKernels.BatchedAccessesPerTick)]
    public int AccessesPerTick { get; set; }

    [Benchmark(Baseline = true, OperationsPerInvoke = Handoffs)]
    public void BareSemaphorePingPong()
        => BarePingPong.Run(Handoffs);

    [Benchmark(OperationsPerInvoke = Handoffs)]
    public long NotifyWaitPingPong() => BenchKernels.RunProgram(AccessesPerTick, sys =>
    {
        int ping = sys.NotifyCreate(null), pong = sys.NotifyCreate(null);
        int peer = sys.CreateThread((s, _) =>
        {
            for (int i = 0; i < Handoffs / 2; i++)
            {
                s.Wait(ping);
                s.Notify(pong);
            }
            return 0;
        });
        for (int i = 0; i < Handoffs / 2; i++)
        {
            sys.Notify(ping);
            sys.Wait(pong);
        }
        return sys.Join(peer);
    });

    /// <summary>The same ping-pong where each side waits with wait_any on its object and a second, idle one.</summary>
    [Benchmark(OperationsPerInvoke = Handoffs)]
    public long WaitAnyPingPong() => BenchKernels.RunProgram(AccessesPerTick, sys =>
    {
        int ping = sys.NotifyCreate(null), pong = sys.NotifyCreate(null), idle = sys.NotifyCreate(null);
        int peer = sys.CreateThread((s, _) =>
        {
            for (int i = 0; i < Handoffs / 2; i++)
            {
                s.WaitAny([ping, idle]);
                s.Notify(pong);
            }
            return 0;
        });
        for (int i = 0; i < Handoffs / 2; i++)
        {
            sys.Notify(ping);
            sys.WaitAny([pong, idle]);
        }
        return sys.Join(peer);
    });

    /// <summary>One thread: notify, then a wait that finds the count (no block, no switch). Per notify + wait pair.</summary>
    [Benchmark(OperationsPerInvoke = Handoffs)]
    public long UncontendedNotifyWait() => BenchKernels.RunProgram(AccessesPerTick, sys =>
    {
        int h = sys.NotifyCreate(null);
        for (int i = 0; i < Handoffs; i++)
        {
            sys.Notify(h);
            sys.Wait(h);
        }
        return 0;
    });
}
